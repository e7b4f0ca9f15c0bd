package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Bounds of a client's timeline message (SPEC §12).
const (
	MaxMessageLength         = 10000
	MaxCustomEventTypeLength = 255
	MaxCustomDataBytes       = 16 * 1024
)

// MessageInput is a timeline message as a client posts it: a comment or a
// custom event.
type MessageInput struct {
	Type            string         `json:"type"`
	Message         *string        `json:"message"`
	CustomEventType *string        `json:"customEventType"`
	CustomData      map[string]any `json:"customData"`
}

func (in MessageInput) validate() error {
	var fields []FieldError
	switch in.Type {
	case MessageCommentCreated, MessageCustomEvent:
	case "":
		return invalid(FieldError{Field: "type", Message: "is required: customer-comment-created or custom-event"})
	default:
		return invalid(FieldError{Field: "type", Message: "must be customer-comment-created or custom-event; the other types are written by the service"})
	}
	if in.Message == nil || *in.Message == "" || utf8.RuneCountInString(*in.Message) > MaxMessageLength {
		fields = append(fields, FieldError{Field: "message", Message: fmt.Sprintf("is required: 1 to %d characters", MaxMessageLength)})
	}
	if in.Type == MessageCustomEvent {
		if t := in.CustomEventType; t == nil || *t == "" || utf8.RuneCountInString(*t) > MaxCustomEventTypeLength {
			fields = append(fields, FieldError{Field: "customEventType", Message: fmt.Sprintf("is required: 1 to %d characters", MaxCustomEventTypeLength)})
		}
		if in.CustomData != nil && len(mustJSON(in.CustomData)) > MaxCustomDataBytes {
			fields = append(fields, FieldError{Field: "customData", Message: fmt.Sprintf("must be at most %d bytes of JSON", MaxCustomDataBytes)})
		}
	} else {
		if in.CustomEventType != nil {
			fields = append(fields, FieldError{Field: "customEventType", Message: "is only for custom-event messages"})
		}
		if in.CustomData != nil {
			fields = append(fields, FieldError{Field: "customData", Message: "is only for custom-event messages"})
		}
	}
	if len(fields) > 0 {
		return invalid(fields...)
	}
	return nil
}

func messageNotFound(id string) error { return notFound("Timeline message %q was not found.", id) }

// ListTimeline returns the page of customer id's timeline that q asks for
// (filter on type and occurredTime, newest first unless sorted) and the
// exact total. A missing or merged-away customer is KindNotFound.
func (s *Service) ListTimeline(ctx context.Context, orgID, id string, q ListQuery) (int64, []Message, error) {
	if err := CheckPage(q); err != nil {
		return 0, nil, err
	}
	if !ValidID(id) {
		return 0, nil, notFound("Customer %q was not found.", id)
	}
	total, msgs, exists, err := s.store.ListTimeline(ctx, orgID, id, q)
	if err != nil {
		return 0, nil, fmt.Errorf("list timeline: %w", err)
	}
	if !exists {
		return 0, nil, s.missing(ctx, orgID, id)
	}
	return total, msgs, nil
}

// GetTimelineMessage returns message msgID of customer id's timeline.
func (s *Service) GetTimelineMessage(ctx context.Context, orgID, id, msgID string) (*Message, error) {
	if !ValidID(id) {
		return nil, notFound("Customer %q was not found.", id)
	}
	if uuid.Validate(msgID) != nil {
		return nil, messageNotFound(msgID)
	}
	m, exists, err := s.store.GetTimelineMessage(ctx, orgID, id, msgID)
	if err != nil {
		return nil, fmt.Errorf("get timeline message: %w", err)
	}
	if !exists {
		return nil, s.missing(ctx, orgID, id)
	}
	if m == nil {
		return nil, messageNotFound(msgID)
	}
	return m, nil
}

// PostTimelineMessage adds a client's comment or custom event to customer
// id's timeline; the customer itself does not change.
func (s *Service) PostTimelineMessage(ctx context.Context, orgID, id string, in MessageInput) (*Message, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	a := actorFrom(ctx)
	m := Message{
		ID: s.newID(), CustomerID: id, Type: in.Type, Text: *in.Message, Changes: json.RawMessage("{}"),
		RequestID: a.RequestID, APIKeyID: a.APIKeyID, TriggeredBy: a.TriggeredBy, OccurredTime: s.now().UTC(),
	}
	if in.Type == MessageCustomEvent {
		m.CustomEventType = in.CustomEventType
		m.CustomData = json.RawMessage("{}")
		if in.CustomData != nil {
			m.CustomData = mustJSON(in.CustomData)
		}
	}
	var out *Message
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		// Locked, so that a merge moving this timeline waits or goes first.
		if _, err := s.lockExisting(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.Record(ctx, Record{Messages: []Message{m}}); err != nil {
			return err
		}
		got, err := tx.TimelineMessage(ctx, id, m.ID)
		out = got
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("post timeline message: %w", err)
	}
	return out, nil
}

// DeleteTimelineMessage deletes a client's message from customer id's
// timeline; the messages the service wrote cannot be deleted (KindConflict).
func (s *Service) DeleteTimelineMessage(ctx context.Context, orgID, id, msgID string) error {
	err := s.store.InTx(ctx, orgID, func(tx Tx) error {
		if _, err := s.lockExisting(ctx, tx, id); err != nil {
			return err
		}
		if uuid.Validate(msgID) != nil {
			return messageNotFound(msgID)
		}
		m, err := tx.TimelineMessage(ctx, id, msgID)
		if err != nil {
			return err
		}
		if m == nil {
			return messageNotFound(msgID)
		}
		if m.System {
			return conflict("Timeline message %q was written by the service (%s) and cannot be deleted; only comments and custom events can.", msgID, m.Type)
		}
		return tx.DeleteTimelineMessage(ctx, id, msgID)
	})
	if err != nil {
		return fmt.Errorf("delete timeline message: %w", err)
	}
	return nil
}
