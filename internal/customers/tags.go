package customers

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Tag is a label of an organization that its customers can carry.
type Tag struct {
	ID          string
	Name        string
	CreatedTime time.Time
	UpdatedTime time.Time
}

// MaxBulkTagCustomers bounds the customerIds of one bulk tag call.
const MaxBulkTagCustomers = 1000

var tagNamePattern = regexp.MustCompile(`^[@~\-.\w\s+]+$`)

const tagNameRule = `must be 1 to 100 characters of letters, digits, "_", whitespace, "@", "~", "-", "." and "+"`

// ValidTagName reports whether name satisfies the tag name rule (SPEC §11).
func ValidTagName(name string) bool {
	n := utf8.RuneCountInString(name)
	return n >= 1 && n <= 100 && tagNamePattern.MatchString(name)
}

func tagNotFound(name string) error { return notFound("Tag %q was not found.", name) }

// GetTag returns tag name, or a KindNotFound error.
func (s *Service) GetTag(ctx context.Context, orgID, name string) (*Tag, error) {
	if !ValidTagName(name) {
		return nil, tagNotFound(name)
	}
	t, err := s.store.GetTag(ctx, orgID, name)
	if err != nil {
		return nil, fmt.Errorf("get tag: %w", err)
	}
	if t == nil {
		return nil, tagNotFound(name)
	}
	return t, nil
}

// ListTags returns the page of tags q asks for and the exact total.
func (s *Service) ListTags(ctx context.Context, orgID string, q ListQuery) (int64, []Tag, error) {
	total, tags, err := s.store.ListTags(ctx, orgID, q)
	if err != nil {
		return 0, nil, fmt.Errorf("list tags: %w", err)
	}
	return total, tags, nil
}

// CreateTag creates tag name; an existing one is a KindConflict error.
func (s *Service) CreateTag(ctx context.Context, orgID, name string) (*Tag, error) {
	if !ValidTagName(name) {
		return nil, invalid(FieldError{Field: "name", Message: tagNameRule})
	}
	t := &Tag{ID: uuid.NewString(), Name: name, CreatedTime: s.clock()}
	t.UpdatedTime = t.CreatedTime
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		inserted, err := tx.InsertTag(ctx, t)
		if err == nil && !inserted {
			err = conflict("Tag %q already exists.", name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create tag: %w", err)
	}
	return t, nil
}

// DeleteTag deletes tag name and takes it from every customer that has
// it, each of which changes once (revision + 1).
func (s *Service) DeleteTag(ctx context.Context, orgID, name string) error {
	if !ValidTagName(name) {
		return tagNotFound(name)
	}
	now := s.clock()
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		t, err := lockTagExclusively(ctx, tx, name)
		if err != nil {
			return err
		}
		ids, err := tx.TaggedCustomers(ctx, t.ID)
		if err != nil {
			return err
		}
		if _, err := tx.LockCustomers(ctx, ids); err != nil {
			return err
		}
		changed, err := tx.SetTag(ctx, t, ids, false, now)
		if err != nil {
			return err
		}
		rec := s.recorder(ctx, now)
		rec.tagged(changed, t.Name, false)
		if err := rec.write(ctx, tx); err != nil {
			return err
		}
		return tx.DeleteTag(ctx, t.ID)
	})
	if err != nil {
		return fmt.Errorf("delete tag: %w", err)
	}
	return nil
}

// RenameTag renames tag name to newName (Rebilly's PatchTag). Every
// customer that has it shows the new name, one revision more. A newName
// that another tag has is a KindConflict error; renaming to the same name
// changes nothing.
func (s *Service) RenameTag(ctx context.Context, orgID, name, newName string) (*Tag, error) {
	if !ValidTagName(name) {
		return nil, tagNotFound(name)
	}
	if !ValidTagName(newName) {
		return nil, invalid(FieldError{Field: "name", Message: tagNameRule})
	}
	now := s.clock()
	var out *Tag
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		t, err := lockTagExclusively(ctx, tx, name)
		if err != nil {
			return err
		}
		if newName == name {
			out = t
			return nil
		}
		if taken, err := tx.LockTag(ctx, newName, false); err != nil {
			return err
		} else if taken != nil {
			return conflict("Tag %q already exists.", newName)
		}
		ids, err := tx.TaggedCustomers(ctx, t.ID)
		if err != nil {
			return err
		}
		if _, err := tx.LockCustomers(ctx, ids); err != nil {
			return err
		}
		renamed := *t
		renamed.Name, renamed.UpdatedTime = newName, now
		if err := tx.RenameTag(ctx, &renamed, ids); err != nil {
			return err
		}
		rec := s.recorder(ctx, now)
		for _, id := range ids {
			rec.message(id, MessageCustomerUpdated, fmt.Sprintf("Tag %q was renamed to %q.", name, newName), nil)
			rec.event(EventCustomerUpdated, id, "")
		}
		out = &renamed
		return rec.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("rename tag: %w", err)
	}
	return out, nil
}

// lockTagExclusively returns tag name locked against every other tag
// operation until the transaction ends, or its not-found error.
func lockTagExclusively(ctx context.Context, tx Tx, name string) (*Tag, error) {
	t, err := tx.LockTag(ctx, name, true)
	if err == nil && t == nil {
		err = tagNotFound(name)
	}
	return t, err
}

// TagCustomers adds (add) or removes tag name on the customers ids, in one
// transaction. Adding creates the tag when it does not exist; removing a
// tag that does not exist is a KindNotFound error. Each customer whose
// tags change gets one more revision; one that already had (or lacked)
// the tag does not change. A missing customer makes the whole call fail,
// changing nothing: KindNotFound for a single one (bulk false), naming a
// merge target; KindInvalid naming each missing one (customerIds[i]) in a
// bulk call.
func (s *Service) TagCustomers(ctx context.Context, orgID, name string, ids []string, add, bulk bool) error {
	if !ValidTagName(name) {
		if add {
			return invalid(FieldError{Field: "tag", Message: tagNameRule})
		}
		return tagNotFound(name)
	}
	if bulk {
		if len(ids) == 0 || len(ids) > MaxBulkTagCustomers {
			return invalid(FieldError{Field: "customerIds", Message: fmt.Sprintf("must list 1 to %d customer ids", MaxBulkTagCustomers)})
		}
	}
	now := s.clock()
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		// The tag first, then the customers in id order: the order every
		// tag operation and merge takes its locks in.
		t, err := s.lockTagFor(ctx, tx, name, add, now)
		if err != nil {
			return err
		}
		valid := make([]string, 0, len(ids))
		for _, id := range ids {
			if ValidID(id) {
				valid = append(valid, id)
			}
		}
		found, err := tx.LockCustomers(ctx, valid)
		if err != nil {
			return err
		}
		if missing := missingIDs(ids, found); len(missing) > 0 {
			if !bulk {
				return missingIn(ctx, tx, ids[0])
			}
			return invalid(missing...)
		}
		changed, err := tx.SetTag(ctx, t, found, add, now)
		if err != nil {
			return err
		}
		rec := s.recorder(ctx, now)
		rec.tagged(changed, t.Name, add)
		return rec.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("tag customers: %w", err)
	}
	return nil
}

// lockTagFor returns tag name locked against deletion until the
// transaction ends; when add, it creates the tag if need be.
func (s *Service) lockTagFor(ctx context.Context, tx Tx, name string, add bool, now time.Time) (*Tag, error) {
	for attempt := 0; attempt < maxUpsertAttempts; attempt++ {
		t, err := tx.LockTag(ctx, name, false)
		if err != nil || t != nil {
			return t, err
		}
		if !add {
			return nil, tagNotFound(name)
		}
		t = &Tag{ID: uuid.NewString(), Name: name, CreatedTime: now, UpdatedTime: now}
		inserted, err := tx.InsertTag(ctx, t)
		if err != nil {
			return nil, err
		}
		if inserted {
			return t, nil
		}
		// Created concurrently: lock the winner's.
	}
	return nil, fmt.Errorf("creating tag %q lost %d races in a row", name, maxUpsertAttempts)
}

// missingIDs names, as customerIds[i], each of ids that found lacks.
func missingIDs(ids, found []string) []FieldError {
	var out []FieldError
	for i, id := range ids {
		if _, ok := slices.BinarySearch(found, id); !ok {
			out = append(out, FieldError{Field: fmt.Sprintf("customerIds[%d]", i), Message: fmt.Sprintf("customer %q was not found", id)})
		}
	}
	return out
}
