package postgres

// A small reader of the PostgreSQL statements the store sends, enough to
// tell whether every reference to a tenant table is held to one
// organization. TestTenantStatementsFilterByOrganization runs it over every
// statement of the package; TestTenantCheckerReadsStatements proves on
// hand-written statements that it rejects what it must.
//
// The rule, for each reference to a tenant table (FROM, JOIN, UPDATE,
// DELETE FROM, USING, MERGE INTO, INSERT INTO, COPY), in the query block
// where it appears:
//
//   - read (SELECT, UPDATE, DELETE, MERGE): a conjunct of the block's WHERE,
//     or of a JOIN's ON that filters that table (an inner join's filters
//     every table, a LEFT JOIN's only the table it joins), is
//     alias.organization_id = $n, = ANY($n), or = the organization column
//     of another relation that is itself held: a tenant table by
//     this rule (in the block or, for a correlated subquery, an enclosing
//     one), or a CTE or derived table whose organization_id column comes
//     from one;
//   - written (INSERT): organization_id is in the column list and its value
//     is a parameter in every VALUES row, or comes from a held column of
//     the SELECT; an ON CONFLICT target leads with
//     organization_id; COPY ... FROM names organization_id among its
//     columns (the caller sends each row's value, as it would a parameter);
//   - an UPDATE, an upsert's DO UPDATE or a MERGE never assigns
//     organization_id; a MERGE's target is held by its ON, and a MERGE
//     that inserts is not read (it fails).
//
// The organizations table itself counts as a tenant table keyed by id. A
// conjunct under a top-level OR counts for nothing; so does anything
// inside another query block, and JOIN ... USING. Statements of other
// kinds (VACUUM, LOCK, DDL) must not name a tenant table at all. What the
// reader cannot follow it rejects, so that a statement it does not
// understand fails the test instead of passing unseen.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

type sqlTokKind int

const (
	tkIdent  sqlTokKind = iota // lower-cased unless quoted
	tkParam                    // $n
	tkString                   // any string literal; its text is dropped
	tkNumber
	tkOp    // operators and punctuation: "=", "::", ",", ".", ";", "[", ...
	tkGroup // a parenthesised group: sub holds its tokens
)

type sqlTok struct {
	kind   sqlTokKind
	text   string
	quoted bool
	sub    []sqlTok
}

// is reports whether t is the unquoted keyword or name word.
func (t sqlTok) is(word string) bool { return t.kind == tkIdent && !t.quoted && t.text == word }

func (t sqlTok) isOp(op string) bool { return t.kind == tkOp && t.text == op }

const sqlOpChars = "+-*/<>=~!@#%^&|`?"

// lexSQL splits s into tokens, comments and string contents dropped, and
// parentheses made into groups.
func lexSQL(s string) ([]sqlTok, error) {
	var flat []sqlTok
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isIdentStart := func(c byte) bool { return c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z') }
	isIdentChar := func(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
	for i := 0; i < len(s); {
		c := s[i]
		rest := s[i:]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(rest, "--"):
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		case strings.HasPrefix(rest, "/*"):
			depth, j := 0, i
			for j < len(s) {
				if strings.HasPrefix(s[j:], "/*") {
					depth, j = depth+1, j+2
				} else if strings.HasPrefix(s[j:], "*/") {
					depth, j = depth-1, j+2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			if depth != 0 {
				return nil, errors.New("unterminated comment")
			}
			i = j
		case c == '\'':
			j, err := sqlQuoteEnd(s, i, '\'', false)
			if err != nil {
				return nil, err
			}
			flat = append(flat, sqlTok{kind: tkString})
			i = j
		case c == '"':
			j, err := sqlQuoteEnd(s, i, '"', false)
			if err != nil {
				return nil, err
			}
			flat = append(flat, sqlTok{kind: tkIdent, text: strings.ReplaceAll(s[i+1:j-1], `""`, `"`), quoted: true})
			i = j
		case c == '$' && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			flat = append(flat, sqlTok{kind: tkParam, text: s[i:j]})
			i = j
		case c == '$':
			// Dollar quoting: $tag$ ... $tag$.
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) && s[j] != '$' {
				j++
			}
			if j >= len(s) || s[j] != '$' {
				return nil, fmt.Errorf("unexpected $ at %d", i)
			}
			tag := s[i : j+1]
			k := strings.Index(s[j+1:], tag)
			if k < 0 {
				return nil, errors.New("unterminated dollar-quoted string")
			}
			flat = append(flat, sqlTok{kind: tkString})
			i = j + 1 + k + len(tag)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			word := strings.ToLower(s[i:j])
			if j < len(s) && s[j] == '\'' && (word == "e" || word == "b" || word == "x" || word == "n") {
				end, err := sqlQuoteEnd(s, j, '\'', word == "e")
				if err != nil {
					return nil, err
				}
				flat = append(flat, sqlTok{kind: tkString})
				i = end
				continue
			}
			flat = append(flat, sqlTok{kind: tkIdent, text: word})
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '_' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '.' && !strings.HasPrefix(s[j:], ".."))) {
				j++
			}
			flat = append(flat, sqlTok{kind: tkNumber, text: s[i:j]})
			i = j
		case strings.IndexByte("(),;[].", c) >= 0:
			flat = append(flat, sqlTok{kind: tkOp, text: string(c)})
			i++
		case c == ':':
			if strings.HasPrefix(rest, "::") {
				flat = append(flat, sqlTok{kind: tkOp, text: "::"})
				i += 2
			} else {
				flat = append(flat, sqlTok{kind: tkOp, text: ":"})
				i++
			}
		case strings.IndexByte(sqlOpChars, c) >= 0:
			j := i
			for j < len(s) && strings.IndexByte(sqlOpChars, s[j]) >= 0 &&
				(j == i || (!strings.HasPrefix(s[j:], "--") && !strings.HasPrefix(s[j:], "/*"))) {
				j++
			}
			flat = append(flat, sqlTok{kind: tkOp, text: s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	stack := [][]sqlTok{nil}
	for _, t := range flat {
		switch {
		case t.isOp("("):
			stack = append(stack, nil)
		case t.isOp(")"):
			if len(stack) == 1 {
				return nil, errors.New("unbalanced )")
			}
			g := sqlTok{kind: tkGroup, text: "()", sub: stack[len(stack)-1]}
			stack = stack[:len(stack)-1]
			stack[len(stack)-1] = append(stack[len(stack)-1], g)
		default:
			stack[len(stack)-1] = append(stack[len(stack)-1], t)
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unbalanced (")
	}
	return stack[0], nil
}

// sqlQuoteEnd returns the index after the quote that closes the one at i.
func sqlQuoteEnd(s string, i int, q byte, backslash bool) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch {
		case backslash && s[j] == '\\':
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated %c at %d", q, i)
}

// splitTop splits items at the top-level separator sep.
func splitTop(items []sqlTok, sep string) [][]sqlTok {
	var out [][]sqlTok
	start := 0
	for i, t := range items {
		if t.isOp(sep) {
			out = append(out, items[start:i])
			start = i + 1
		}
	}
	return append(out, items[start:])
}

// identList reads a parenthesised list of names: the first word of each item.
func identList(items []sqlTok) []string {
	var out []string
	for _, it := range splitTop(items, ",") {
		if len(it) > 0 && it[0].kind == tkIdent {
			out = append(out, it[0].text)
		} else {
			out = append(out, "")
		}
	}
	return out
}

// isQueryGroup reports whether the group t holds a query: (SELECT ...),
// (WITH ...), (VALUES ...) or ((SELECT ...) UNION ...).
func isQueryGroup(t sqlTok) bool {
	if t.kind != tkGroup || len(t.sub) == 0 {
		return false
	}
	first := t.sub[0]
	if first.is("select") || first.is("with") || first.is("values") {
		return true
	}
	if first.kind == tkGroup && isQueryGroup(first) {
		if len(t.sub) == 1 {
			return true
		}
		next := t.sub[1]
		return isSetOp(next) || next.is("order") || next.is("limit") || next.is("offset")
	}
	return false
}

func isSetOp(t sqlTok) bool { return t.is("union") || t.is("intersect") || t.is("except") }

// sqlReserved are the words that end a table reference instead of naming
// its alias.
var sqlReserved = wordSet(`all and any as asc between case collate cross default desc do else end except
	false fetch for from full group having ilike in inner intersect into is isnull join lateral left like
	limit natural not notnull null nulls offset on only or order outer returning right select set similar
	tablesample then true union using values when where window with`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

type relKind int

const (
	relTable relKind = iota
	relCTE
	relDerived
	relFunction
)

// sqlRel is one relation a query block reads or writes.
type sqlRel struct {
	kind  relKind
	table string    // relTable: the table; relCTE: the CTE's name
	alias string    // "" when the statement uses the table's own name
	cols  []string  // column aliases: AS x(a, b), or a CTE's column list
	query *sqlQuery // relCTE, relDerived
	scope *sqlScope
}

func (r *sqlRel) name() string {
	if r.alias != "" {
		return r.alias
	}
	return r.table
}

// sqlRegion is a condition (a WHERE, an ON) and the relations it filters:
// nil for every relation of its block.
type sqlRegion struct {
	conds   []sqlTok
	filters []*sqlRel
}

// sqlScope is one query block: a SELECT, a VALUES, or the body of an
// INSERT, UPDATE, DELETE, MERGE or COPY. A WITH holds its CTEs in a scope
// of its own around its statement.
type sqlScope struct {
	kind     string
	outer    *sqlScope
	ctes     map[string]*sqlCTE
	rels     []*sqlRel
	regions  []sqlRegion
	output   [][]sqlTok // the select list or RETURNING, item by item
	rows     [][][]sqlTok
	insert   *sqlInsert
	assigned []string // the columns an UPDATE sets
	target   *sqlRel  // the table an UPDATE, DELETE, MERGE or INSERT writes
	other    []sqlTok // a statement of another kind
	unread   string   // a part the reader does not follow, which fails the check
}

type sqlCTE struct {
	cols  []string
	query *sqlQuery
}

// sqlQuery is a query: one block, or the branches of a set operation.
type sqlQuery struct{ branches []*sqlScope }

type sqlInsert struct {
	target             *sqlRel
	cols               []string
	rows               [][][]sqlTok // VALUES rows, item by item
	source             *sqlQuery
	defaults           bool
	conflict           []sqlTok // the ON CONFLICT target's contents
	conflictConstraint bool     // ON CONFLICT ON CONSTRAINT
	copy               bool
}

// sqlReader reads statements into scopes.
type sqlReader struct{ scopes []*sqlScope }

func (p *sqlReader) newScope(kind string, outer *sqlScope) *sqlScope {
	s := &sqlScope{kind: kind, outer: outer}
	p.scopes = append(p.scopes, s)
	return s
}

func (s *sqlScope) lookupCTE(name string) *sqlCTE {
	for ; s != nil; s = s.outer {
		if c, ok := s.ctes[name]; ok {
			return c
		}
	}
	return nil
}

func (p *sqlReader) query(items []sqlTok, outer *sqlScope) (*sqlQuery, error) {
	if len(items) == 0 {
		return nil, errors.New("empty query")
	}
	if items[0].is("with") {
		holder := p.newScope("WITH", outer)
		holder.ctes = map[string]*sqlCTE{}
		i := 1
		recursive := i < len(items) && items[i].is("recursive")
		if recursive {
			i++
		}
		for {
			if i >= len(items) || items[i].kind != tkIdent {
				return nil, errors.New("WITH: a name expected")
			}
			name := items[i].text
			i++
			cte := &sqlCTE{}
			if i < len(items) && items[i].kind == tkGroup {
				cte.cols = identList(items[i].sub)
				i++
			}
			if i >= len(items) || !items[i].is("as") {
				return nil, fmt.Errorf("WITH %s: AS expected", name)
			}
			i++
			if i < len(items) && items[i].is("not") {
				i++
			}
			if i < len(items) && items[i].is("materialized") {
				i++
			}
			if i >= len(items) || items[i].kind != tkGroup {
				return nil, fmt.Errorf("WITH %s: a parenthesised query expected", name)
			}
			if recursive {
				holder.ctes[name] = cte
			}
			q, err := p.query(items[i].sub, holder)
			if err != nil {
				return nil, fmt.Errorf("WITH %s: %w", name, err)
			}
			cte.query = q
			holder.ctes[name] = cte
			i++
			if i < len(items) && items[i].isOp(",") {
				i++
				continue
			}
			break
		}
		items, outer = items[i:], holder
		if len(items) == 0 {
			return nil, errors.New("WITH without a statement")
		}
	}
	q := &sqlQuery{}
	for _, seg := range splitSetOps(items) {
		if len(seg) == 0 {
			return nil, errors.New("empty branch of a set operation")
		}
		if isQueryGroup(seg[0]) {
			sub, err := p.query(seg[0].sub, outer)
			if err != nil {
				return nil, err
			}
			q.branches = append(q.branches, sub.branches...)
			if err := p.walk(seg[1:], outer); err != nil {
				return nil, err
			}
			continue
		}
		sc, err := p.block(seg, outer)
		if err != nil {
			return nil, err
		}
		q.branches = append(q.branches, sc)
	}
	return q, nil
}

func splitSetOps(items []sqlTok) [][]sqlTok {
	var out [][]sqlTok
	start := 0
	for i := 0; i < len(items); i++ {
		if isSetOp(items[i]) {
			out = append(out, items[start:i])
			if i+1 < len(items) && (items[i+1].is("all") || items[i+1].is("distinct")) {
				i++
			}
			start = i + 1
		}
	}
	return append(out, items[start:])
}

// walk reads the subqueries inside items, as blocks nested in sc.
func (p *sqlReader) walk(items []sqlTok, sc *sqlScope) error {
	for _, t := range items {
		if t.kind != tkGroup {
			continue
		}
		if isQueryGroup(t) {
			if _, err := p.query(t.sub, sc); err != nil {
				return err
			}
			continue
		}
		if err := p.walk(t.sub, sc); err != nil {
			return err
		}
	}
	return nil
}

func (p *sqlReader) block(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	switch {
	case items[0].is("select"):
		return p.selectBlock(items, outer)
	case items[0].is("values"):
		sc := p.newScope("VALUES", outer)
		for _, row := range splitTop(items[1:], ",") {
			if len(row) != 1 || row[0].kind != tkGroup {
				return nil, errors.New("VALUES: a parenthesised row expected")
			}
			sc.rows = append(sc.rows, splitTop(row[0].sub, ","))
			if err := p.walk(row, sc); err != nil {
				return nil, err
			}
		}
		return sc, nil
	case items[0].is("insert"):
		return p.insertBlock(items, outer)
	case items[0].is("update"):
		return p.updateBlock(items, outer)
	case items[0].is("delete"):
		return p.deleteBlock(items, outer)
	case items[0].is("merge"):
		return p.mergeBlock(items, outer)
	case items[0].is("copy"):
		return p.copyBlock(items, outer)
	}
	sc := p.newScope("OTHER", outer)
	sc.other = items
	return sc, nil
}

// splitClauses splits items at the top-level clause keywords in words and
// returns what precedes the first of them and each clause (without its
// keyword).
func splitClauses(items []sqlTok, words ...string) ([]sqlTok, map[string][]sqlTok, error) {
	parts := map[string][]sqlTok{}
	var head []sqlTok
	cur, start := "", 0
	flush := func(end int) error {
		if cur == "" {
			head = items[start:end]
			return nil
		}
		if _, dup := parts[cur]; dup {
			return fmt.Errorf("a second %s", strings.ToUpper(cur))
		}
		parts[cur] = items[start:end]
		return nil
	}
	for i, t := range items {
		if t.kind != tkIdent || t.quoted || !slices.Contains(words, t.text) {
			continue
		}
		next := sqlTok{}
		if i+1 < len(items) {
			next = items[i+1]
		}
		switch t.text {
		case "order", "group":
			if !next.is("by") {
				continue
			}
		case "from":
			if i > 0 && items[i-1].is("distinct") { // IS DISTINCT FROM
				continue
			}
		case "for":
			if !next.is("update") && !next.is("share") && !next.is("no") && !next.is("key") {
				continue
			}
		}
		if err := flush(i); err != nil {
			return nil, nil, err
		}
		cur, start = t.text, i+1
	}
	if err := flush(len(items)); err != nil {
		return nil, nil, err
	}
	return head, parts, nil
}

func (p *sqlReader) selectBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("SELECT", outer)
	head, parts, err := splitClauses(items[1:], "from", "where", "group", "having", "window", "order", "limit", "offset", "fetch", "for")
	if err != nil {
		return nil, err
	}
	switch {
	case len(head) > 0 && head[0].is("distinct"):
		head = head[1:]
		if len(head) > 1 && head[0].is("on") {
			if err := p.walk(head[1:2], sc); err != nil {
				return nil, err
			}
			head = head[2:]
		}
	case len(head) > 0 && head[0].is("all"):
		head = head[1:]
	}
	if from, ok := parts["from"]; ok {
		if err := p.fromList(from, sc); err != nil {
			return nil, err
		}
	}
	if where, ok := parts["where"]; ok {
		sc.regions = append(sc.regions, sqlRegion{conds: where})
	}
	sc.output = splitTop(head, ",")
	if err := p.walk(head, sc); err != nil {
		return nil, err
	}
	for _, w := range []string{"where", "group", "having", "window", "order", "limit", "offset", "fetch", "for"} {
		if err := p.walk(parts[w], sc); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

func (p *sqlReader) fromList(items []sqlTok, sc *sqlScope) error {
	for _, it := range splitTop(items, ",") {
		if err := p.fromItem(it, sc); err != nil {
			return err
		}
	}
	return nil
}

func isJoinStart(items []sqlTok, i int) bool {
	t := items[i]
	if t.is("join") || t.is("inner") || t.is("cross") || t.is("natural") {
		return true
	}
	if t.is("left") || t.is("right") || t.is("full") {
		return i+1 < len(items) && (items[i+1].is("join") || items[i+1].is("outer"))
	}
	return false
}

// fromItem reads one item of a FROM list: a table reference and its joins.
func (p *sqlReader) fromItem(items []sqlTok, sc *sqlScope) error {
	rels, i, err := p.tableRef(items, 0, sc)
	if err != nil {
		return err
	}
	all := rels
	for i < len(items) {
		if !isJoinStart(items, i) {
			return fmt.Errorf("FROM: unexpected %q", items[i].text)
		}
		kind := "inner"
		if items[i].is("natural") {
			return errors.New("NATURAL JOIN is not understood: join ON the organization")
		}
		for ; i < len(items) && !items[i].is("join"); i++ {
			switch {
			case items[i].is("left"), items[i].is("right"), items[i].is("full"), items[i].is("cross"):
				kind = items[i].text
			}
		}
		if i >= len(items) {
			return errors.New("FROM: JOIN expected")
		}
		right, next, err := p.tableRef(items, i+1, sc)
		if err != nil {
			return err
		}
		i = next
		var filters []*sqlRel
		switch kind {
		case "left":
			filters = right
		case "right":
			filters = slices.Clone(all)
		case "full":
			filters = []*sqlRel{}
		}
		all = append(all, right...)
		switch {
		case i < len(items) && items[i].is("on"):
			end := i + 1
			for end < len(items) && !isJoinStart(items, end) {
				end++
			}
			sc.regions = append(sc.regions, sqlRegion{conds: items[i+1 : end], filters: filters})
			if err := p.walk(items[i+1:end], sc); err != nil {
				return err
			}
			i = end
		case i < len(items) && items[i].is("using"):
			// USING (organization_id) is not taken for a predicate: the
			// check then asks for ON, which it reads.
			i += 2
		}
	}
	return nil
}

// tableRef reads a table reference at items[i] into sc: a table or CTE, a
// function, a subquery or a parenthesised join, with its alias.
func (p *sqlReader) tableRef(items []sqlTok, i int, sc *sqlScope) ([]*sqlRel, int, error) {
	lateral := false
	if i < len(items) && items[i].is("lateral") {
		lateral, i = true, i+1
	}
	if i < len(items) && items[i].is("only") {
		i++
	}
	if i >= len(items) {
		return nil, i, errors.New("a table expected")
	}
	var r *sqlRel
	switch t := items[i]; {
	case isQueryGroup(t):
		outer := sc.outer
		if lateral {
			outer = sc
		}
		q, err := p.query(t.sub, outer)
		if err != nil {
			return nil, i, err
		}
		r = &sqlRel{kind: relDerived, query: q}
		i++
	case t.kind == tkGroup:
		before := len(sc.rels)
		if err := p.fromItem(t.sub, sc); err != nil {
			return nil, i, err
		}
		return slices.Clone(sc.rels[before:]), i + 1, nil
	case t.kind == tkIdent:
		name := t.text
		qualified := false
		i++
		for i+1 < len(items) && items[i].isOp(".") && items[i+1].kind == tkIdent {
			name, qualified, i = items[i+1].text, true, i+2
		}
		if i < len(items) && items[i].kind == tkGroup { // a function
			if err := p.walk(items[i:i+1], sc); err != nil {
				return nil, i, err
			}
			r = &sqlRel{kind: relFunction, table: name}
			i++
			if i+1 < len(items) && items[i].is("with") && items[i+1].is("ordinality") {
				i += 2
			}
		} else if cte := sc.lookupCTE(name); cte != nil && !qualified {
			r = &sqlRel{kind: relCTE, table: name, query: cte.query, cols: cte.cols}
		} else {
			r = &sqlRel{kind: relTable, table: name}
		}
	default:
		return nil, i, fmt.Errorf("a table expected, not %q", t.text)
	}
	if i < len(items) && items[i].is("as") {
		i++
		if i >= len(items) || items[i].kind != tkIdent {
			return nil, i, errors.New("AS: an alias expected")
		}
	}
	if i < len(items) && items[i].kind == tkIdent && (items[i].quoted || !sqlReserved[items[i].text]) {
		r.alias = items[i].text
		i++
		if i < len(items) && items[i].kind == tkGroup {
			r.cols = identList(items[i].sub)
			i++
		}
	}
	if i < len(items) && items[i].is("tablesample") {
		return nil, i, errors.New("TABLESAMPLE is not understood")
	}
	r.scope = sc
	sc.rels = append(sc.rels, r)
	return []*sqlRel{r}, i, nil
}

// tableName reads a possibly schema-qualified table name at items[i].
func tableName(items []sqlTok, i int) (string, int, error) {
	if i >= len(items) || items[i].kind != tkIdent {
		return "", i, errors.New("a table name expected")
	}
	name := items[i].text
	i++
	for i+1 < len(items) && items[i].isOp(".") && items[i+1].kind == tkIdent {
		name, i = items[i+1].text, i+2
	}
	return name, i, nil
}

// topIndex is the index of the first top-level word w (followed by next,
// when next is not ""), or -1.
func topIndex(items []sqlTok, w, next string) int {
	for i, t := range items {
		if t.is(w) && (next == "" || (i+1 < len(items) && items[i+1].is(next))) {
			return i
		}
	}
	return -1
}

func (p *sqlReader) insertBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("INSERT", outer)
	if len(items) < 2 || !items[1].is("into") {
		return nil, errors.New("INSERT: INTO expected")
	}
	name, i, err := tableName(items, 2)
	if err != nil {
		return nil, err
	}
	r := &sqlRel{kind: relTable, table: name, scope: sc}
	if i+1 < len(items) && items[i].is("as") {
		r.alias, i = items[i+1].text, i+2
	}
	ins := &sqlInsert{target: r}
	if i < len(items) && items[i].kind == tkGroup && !isQueryGroup(items[i]) {
		ins.cols = identList(items[i].sub)
		i++
	}
	if i < len(items) && items[i].is("overriding") {
		i += 3
	}
	rest := items[i:]
	var conflict, returning []sqlTok
	if k := topIndex(rest, "returning", ""); k >= 0 {
		rest, returning = rest[:k], rest[k+1:]
		if len(returning) == 0 {
			return nil, errors.New("RETURNING: a list expected")
		}
	}
	if k := topIndex(rest, "on", "conflict"); k >= 0 {
		rest, conflict = rest[:k], rest[k+2:]
		if conflict == nil {
			conflict = []sqlTok{}
		}
	}
	switch {
	case len(rest) >= 2 && rest[0].is("default") && rest[1].is("values"):
		ins.defaults = true
	case len(rest) > 0 && rest[0].is("values"):
		for _, row := range splitTop(rest[1:], ",") {
			if len(row) != 1 || row[0].kind != tkGroup {
				return nil, errors.New("VALUES: a parenthesised row expected")
			}
			ins.rows = append(ins.rows, splitTop(row[0].sub, ","))
			if err := p.walk(row, outer); err != nil {
				return nil, err
			}
		}
	default:
		q, err := p.query(rest, outer)
		if err != nil {
			return nil, fmt.Errorf("INSERT INTO %s: %w", name, err)
		}
		ins.source = q
	}
	if conflict != nil {
		switch {
		case len(conflict) > 0 && conflict[0].kind == tkGroup:
			ins.conflict = conflict[0].sub
		case len(conflict) > 0 && conflict[0].is("on"):
			ins.conflictConstraint = true
		}
		if k := topIndex(conflict, "set", ""); k >= 0 { // DO UPDATE SET ...
			set := conflict[k+1:]
			if w := topIndex(set, "where", ""); w >= 0 {
				set = set[:w]
			}
			sc.assigned = assignedColumns(set)
		}
	}
	sc.rels, sc.insert, sc.target = []*sqlRel{r}, ins, r
	sc.output = nil
	if returning != nil {
		sc.output = splitTop(returning, ",")
	}
	if err := p.walk(conflict, sc); err != nil {
		return nil, err
	}
	return sc, p.walk(returning, sc)
}

func (p *sqlReader) updateBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("UPDATE", outer)
	rels, i, err := p.tableRef(items, 1, sc)
	if err != nil {
		return nil, err
	}
	sc.target = rels[0]
	if i >= len(items) || !items[i].is("set") {
		return nil, errors.New("UPDATE: SET expected")
	}
	set, parts, err := splitClauses(items[i+1:], "from", "where", "returning")
	if err != nil {
		return nil, err
	}
	sc.assigned = assignedColumns(set)
	if from, ok := parts["from"]; ok {
		if err := p.fromList(from, sc); err != nil {
			return nil, err
		}
	}
	return sc, p.dmlTail(sc, set, parts)
}

// assignedColumns are the columns a SET list assigns.
func assignedColumns(set []sqlTok) []string {
	var out []string
	for _, a := range splitTop(set, ",") {
		switch {
		case len(a) > 0 && a[0].kind == tkGroup:
			out = append(out, identList(a[0].sub)...)
		case len(a) > 0 && a[0].kind == tkIdent:
			out = append(out, a[0].text)
		}
	}
	return out
}

// dmlTail reads the WHERE and RETURNING of an UPDATE or DELETE.
func (p *sqlReader) dmlTail(sc *sqlScope, set []sqlTok, parts map[string][]sqlTok) error {
	if where, ok := parts["where"]; ok {
		sc.regions = append(sc.regions, sqlRegion{conds: where})
	}
	if ret, ok := parts["returning"]; ok {
		sc.output = splitTop(ret, ",")
	}
	for _, items := range [][]sqlTok{set, parts["where"], parts["returning"]} {
		if err := p.walk(items, sc); err != nil {
			return err
		}
	}
	return nil
}

func (p *sqlReader) deleteBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("DELETE", outer)
	if len(items) < 2 || !items[1].is("from") {
		return nil, errors.New("DELETE: FROM expected")
	}
	rels, i, err := p.tableRef(items, 2, sc)
	if err != nil {
		return nil, err
	}
	sc.target = rels[0]
	head, parts, err := splitClauses(items[i:], "using", "where", "returning")
	if err != nil {
		return nil, err
	}
	if len(head) > 0 {
		return nil, fmt.Errorf("DELETE: unexpected %q", head[0].text)
	}
	if using, ok := parts["using"]; ok {
		if err := p.fromList(using, sc); err != nil {
			return nil, err
		}
	}
	return sc, p.dmlTail(sc, nil, parts)
}

// mergeBlock reads MERGE INTO t USING s ON cond WHEN ...: the target is
// held by ON. A WHEN NOT MATCHED ... INSERT is not followed: it fails.
func (p *sqlReader) mergeBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("MERGE", outer)
	if len(items) < 2 || !items[1].is("into") {
		return nil, errors.New("MERGE: INTO expected")
	}
	rels, i, err := p.tableRef(items, 2, sc)
	if err != nil {
		return nil, err
	}
	sc.target = rels[0]
	if i >= len(items) || !items[i].is("using") {
		return nil, errors.New("MERGE: USING expected")
	}
	if _, i, err = p.tableRef(items, i+1, sc); err != nil {
		return nil, err
	}
	if i >= len(items) || !items[i].is("on") {
		return nil, errors.New("MERGE: ON expected")
	}
	end := i + 1
	for end < len(items) && !items[end].is("when") {
		end++
	}
	sc.regions = append(sc.regions, sqlRegion{conds: items[i+1 : end]})
	if topIndex(items[end:], "insert", "") >= 0 {
		sc.unread = "MERGE ... INSERT is not read: write INSERT ... ON CONFLICT"
	}
	if k := topIndex(items[end:], "set", ""); k >= 0 {
		sc.assigned = assignedColumns(items[end+k+1:])
	}
	return sc, p.walk(items[i+1:], sc)
}

func (p *sqlReader) copyBlock(items []sqlTok, outer *sqlScope) (*sqlScope, error) {
	sc := p.newScope("COPY", outer)
	if len(items) > 1 && isQueryGroup(items[1]) {
		_, err := p.query(items[1].sub, outer)
		return sc, err
	}
	name, i, err := tableName(items, 1)
	if err != nil {
		return nil, err
	}
	r := &sqlRel{kind: relTable, table: name, scope: sc}
	sc.rels = []*sqlRel{r}
	var cols []string
	if i < len(items) && items[i].kind == tkGroup {
		cols = identList(items[i].sub)
		i++
	}
	if i < len(items) && items[i].is("from") {
		sc.insert = &sqlInsert{target: r, cols: cols, copy: true}
	}
	return sc, nil
}

// sqlTenancy names the tenant tables and, for each, the column that names
// its organization: organization_id, or id for the organizations table.
type sqlTenancy map[string]string

// sqlProblem is a reference to a tenant table that is not held to one
// organization.
type sqlProblem struct{ table, msg string }

// check reads the statements of text and returns what in them is not held
// to one organization; an error when it cannot read them.
func (tn sqlTenancy) check(text string) ([]sqlProblem, error) {
	items, err := lexSQL(text)
	if err != nil {
		return nil, err
	}
	r := &sqlReader{}
	n := 0
	for _, stmt := range splitTop(items, ";") {
		if len(stmt) == 0 {
			continue
		}
		n++
		if _, err := r.query(stmt, nil); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, errors.New("no statement")
	}
	c := &sqlChecker{tenancy: tn, known: map[*sqlRel]bool{}, visiting: map[*sqlQuery]bool{}}
	// The constrained tables, to a fixed point: a table may be held by
	// another that is found to be held later.
	for changed := true; changed; {
		changed = false
		for _, sc := range r.scopes {
			for _, rel := range sc.rels {
				if rel.kind == relTable && !c.known[rel] && c.constrainedNow(rel) {
					c.known[rel], changed = true, true
				}
			}
		}
	}
	var problems []sqlProblem
	for _, sc := range r.scopes {
		if sc.other != nil {
			for _, name := range deepIdents(sc.other) {
				if _, ok := tn[name]; ok {
					problems = append(problems, sqlProblem{name, fmt.Sprintf("%s statement names tenant table %s, which it cannot hold to one organization", strings.ToUpper(sc.other[0].text), name)})
				}
			}
		}
		for _, rel := range sc.rels {
			key, ok := tn[rel.table]
			if rel.kind != relTable || !ok || c.known[rel] {
				continue
			}
			where := fmt.Sprintf("%s %s", sc.kind, rel.table)
			if rel.alias != "" {
				where += " " + rel.alias
			}
			why := "no " + key + " = $n (or = a held relation's " + key + ") in its block's WHERE or in an ON that filters it"
			if sc.insert != nil && sc.insert.target == rel {
				_, why = c.insertConstrained(sc.insert, key)
			}
			problems = append(problems, sqlProblem{rel.table, where + ": " + why})
		}
		if sc.target != nil {
			if key, ok := tn[sc.target.table]; ok && sc.target.kind == relTable && slices.Contains(sc.assigned, key) {
				problems = append(problems, sqlProblem{sc.target.table, fmt.Sprintf("%s %s sets %s: a row would move to another organization", sc.kind, sc.target.table, key)})
			}
			if sc.unread != "" {
				problems = append(problems, sqlProblem{sc.target.table, sc.unread})
			}
		}
	}
	return problems, nil
}

func deepIdents(items []sqlTok) []string {
	var out []string
	for _, t := range items {
		switch t.kind {
		case tkIdent:
			out = append(out, t.text)
		case tkGroup:
			out = append(out, deepIdents(t.sub)...)
		}
	}
	return out
}

type sqlChecker struct {
	tenancy  sqlTenancy
	known    map[*sqlRel]bool // tenant tables found held to one organization
	visiting map[*sqlQuery]bool
}

// constrainedNow reports whether table reference r is held to one
// organization, given what is known so far.
func (c *sqlChecker) constrainedNow(r *sqlRel) bool {
	key, ok := c.tenancy[r.table]
	if !ok {
		return false
	}
	sc := r.scope
	if sc.insert != nil && sc.insert.target == r {
		ok, _ := c.insertConstrained(sc.insert, key)
		return ok
	}
	for _, reg := range sc.regions {
		if reg.filters != nil && !slices.Contains(reg.filters, r) {
			continue
		}
		for _, conj := range conjuncts(reg.conds) {
			a, b, ok := equality(conj)
			if !ok {
				continue
			}
			for _, pair := range [2][2]sqlOperand{{a, b}, {b, a}} {
				x, y := pair[0], pair[1]
				if x.kind != opColumn || x.col != key || c.resolve(sc, x) != r {
					continue
				}
				if y.kind == opParam || y.kind == opAnyParam {
					return true
				}
				if y.kind == opColumn {
					if q := c.resolve(sc, y); q != nil && q != r && c.columnConstrained(q, y.col) {
						return true
					}
				}
			}
		}
	}
	return false
}

// insertConstrained reports whether an INSERT (or COPY FROM) writes rows
// of one organization only, and if not, why.
func (c *sqlChecker) insertConstrained(ins *sqlInsert, key string) (bool, string) {
	pos := slices.Index(ins.cols, key)
	if pos < 0 {
		return false, key + " is not in the column list"
	}
	if ins.copy {
		return true, ""
	}
	if ins.conflictConstraint {
		return false, "ON CONFLICT ON CONSTRAINT: the conflict target must be written out, leading with " + key
	}
	if ins.conflict != nil && (len(ins.conflict) == 0 || !ins.conflict[0].is(key)) {
		return false, "the ON CONFLICT target does not lead with " + key
	}
	switch {
	case ins.rows != nil:
		for _, row := range ins.rows {
			if pos >= len(row) || operandOf(row[pos]).kind != opParam {
				return false, "a VALUES row gives " + key + " other than as a parameter"
			}
		}
		return true, ""
	case ins.source != nil:
		if c.outputConstrained(ins.source, pos, "") {
			return true, ""
		}
		return false, "the SELECT's " + key + " (column " + fmt.Sprint(pos+1) + ") is neither a parameter nor a held relation's " + key
	}
	return false, "DEFAULT VALUES"
}

// columnConstrained reports whether column col of relation q holds one
// organization.
func (c *sqlChecker) columnConstrained(q *sqlRel, col string) bool {
	switch q.kind {
	case relTable:
		key, ok := c.tenancy[q.table]
		return ok && col == key && c.known[q]
	case relCTE, relDerived:
		if len(q.cols) > 0 {
			pos := slices.Index(q.cols, col)
			return pos >= 0 && c.outputConstrained(q.query, pos, "")
		}
		return c.outputConstrained(q.query, -1, col)
	}
	return false
}

// outputConstrained reports whether the output column of q at pos (or,
// when pos < 0, named name) holds one organization in every branch.
func (c *sqlChecker) outputConstrained(q *sqlQuery, pos int, name string) bool {
	if q == nil || len(q.branches) == 0 || c.visiting[q] {
		return false
	}
	c.visiting[q] = true
	defer delete(c.visiting, q)
	for _, b := range q.branches {
		if !c.branchOutput(b, pos, name) {
			return false
		}
	}
	return true
}

func isStar(it []sqlTok) bool { return len(it) == 1 && it[0].isOp("*") }

func isQualifiedStar(it []sqlTok) bool {
	return len(it) == 3 && it[0].kind == tkIdent && it[1].isOp(".") && it[2].isOp("*")
}

func (c *sqlChecker) branchOutput(b *sqlScope, pos int, name string) bool {
	if b.kind == "VALUES" {
		if pos < 0 {
			return false
		}
		for _, row := range b.rows {
			if pos >= len(row) || operandOf(row[pos]).kind != opParam {
				return false
			}
		}
		return len(b.rows) > 0
	}
	items := b.output
	if pos >= 0 {
		if len(items) == 1 && isStar(items[0]) {
			if len(b.rels) == 1 && (b.rels[0].kind == relCTE || b.rels[0].kind == relDerived) {
				return c.outputConstrained(b.rels[0].query, pos, "")
			}
			return false
		}
		for _, it := range items {
			if isStar(it) || isQualifiedStar(it) {
				return false // positions cannot be told
			}
		}
		return pos < len(items) && c.exprConstrained(b, itemExpr(items[pos]))
	}
	for _, it := range items {
		switch {
		case isStar(it):
			found := false
			for _, rel := range b.rels {
				if c.hasColumn(rel, name) {
					found = true
					if !c.columnConstrained(rel, name) {
						return false
					}
				}
			}
			if found {
				return true
			}
		case isQualifiedStar(it):
			if rel := c.resolve(b, sqlOperand{kind: opColumn, qual: it[0].text, col: name}); rel != nil && c.hasColumn(rel, name) {
				return c.columnConstrained(rel, name)
			}
		case outputName(it) == name:
			return c.exprConstrained(b, itemExpr(it))
		}
	}
	return false
}

// itemExpr is a select item without its alias.
func itemExpr(it []sqlTok) []sqlTok {
	if k := topIndex(it, "as", ""); k >= 0 {
		return it[:k]
	}
	if n := len(it); n >= 2 && it[n-1].kind == tkIdent && !sqlReserved[it[n-1].text] &&
		(it[n-2].kind == tkIdent || it[n-2].kind == tkGroup || it[n-2].kind == tkParam || it[n-2].kind == tkString || it[n-2].kind == tkNumber) {
		return it[:n-1] // an alias without AS
	}
	return it
}

// outputName is the name of a select item's column.
func outputName(it []sqlTok) string {
	if k := topIndex(it, "as", ""); k >= 0 && k+1 < len(it) {
		return it[k+1].text
	}
	if e := itemExpr(it); len(e) < len(it) {
		return it[len(it)-1].text
	}
	if op := operandOf(it); op.kind == opColumn {
		return op.col
	}
	return ""
}

func (c *sqlChecker) exprConstrained(b *sqlScope, expr []sqlTok) bool {
	switch op := operandOf(expr); op.kind {
	case opParam:
		return true
	case opColumn:
		rel := c.resolve(b, op)
		return rel != nil && c.columnConstrained(rel, op.col)
	}
	return false
}

// hasColumn reports whether relation r is known to have column col.
func (c *sqlChecker) hasColumn(r *sqlRel, col string) bool {
	switch r.kind {
	case relTable:
		return c.tenancy[r.table] == col
	case relFunction:
		return slices.Contains(r.cols, col)
	}
	if len(r.cols) > 0 {
		return slices.Contains(r.cols, col)
	}
	if r.query == nil || len(r.query.branches) == 0 {
		return false
	}
	for _, it := range r.query.branches[0].output {
		if isStar(it) || isQualifiedStar(it) || outputName(it) == col {
			return true
		}
	}
	return false
}

// resolve finds the relation a column reference names, from sc outwards.
func (c *sqlChecker) resolve(sc *sqlScope, op sqlOperand) *sqlRel {
	for s := sc; s != nil; s = s.outer {
		if op.qual != "" {
			for _, r := range s.rels {
				if r.name() == op.qual {
					return r
				}
			}
			continue
		}
		if len(s.rels) == 1 {
			return s.rels[0]
		}
		var found *sqlRel
		n := 0
		for _, r := range s.rels {
			if c.hasColumn(r, op.col) {
				found, n = r, n+1
			}
		}
		switch {
		case n == 1:
			return found
		case n > 1:
			return nil // ambiguous
		}
	}
	return nil
}

type operandKind int

const (
	opOther operandKind = iota
	opParam
	opAnyParam // ANY ($n)
	opColumn
)

type sqlOperand struct {
	kind      operandKind
	qual, col string
}

// operandOf reads a parameter or a column reference, casts ignored.
func operandOf(items []sqlTok) sqlOperand {
	for i, t := range items {
		if t.isOp("::") {
			items = items[:i]
			break
		}
	}
	switch {
	case len(items) == 1 && items[0].kind == tkGroup && !isQueryGroup(items[0]):
		return operandOf(items[0].sub)
	case len(items) == 1 && items[0].kind == tkParam:
		return sqlOperand{kind: opParam}
	case len(items) == 1 && items[0].kind == tkIdent && (items[0].quoted || !sqlReserved[items[0].text] && !items[0].is("null") && !items[0].is("true") && !items[0].is("false")):
		return sqlOperand{kind: opColumn, col: items[0].text}
	case len(items) == 3 && items[0].kind == tkIdent && items[1].isOp(".") && items[2].kind == tkIdent:
		return sqlOperand{kind: opColumn, qual: items[0].text, col: items[2].text}
	case len(items) == 5 && items[0].kind == tkIdent && items[1].isOp(".") && items[2].kind == tkIdent && items[3].isOp(".") && items[4].kind == tkIdent:
		return sqlOperand{kind: opColumn, qual: items[2].text, col: items[4].text}
	case len(items) == 2 && (items[0].is("any") || items[0].is("some")) && items[1].kind == tkGroup:
		if operandOf(items[1].sub).kind == opParam {
			return sqlOperand{kind: opAnyParam}
		}
	}
	return sqlOperand{}
}

// conjuncts are the top-level ANDed conditions of a WHERE or ON, with
// parenthesised conjunctions opened; none at all under a top-level OR.
func conjuncts(items []sqlTok) [][]sqlTok {
	var out [][]sqlTok
	start, between, caseDepth := 0, false, 0
	for i, t := range items {
		switch {
		case t.is("case"):
			caseDepth++
		case t.is("end") && caseDepth > 0:
			caseDepth--
		case caseDepth > 0:
		case t.is("or"):
			return nil
		case t.is("between"):
			between = true
		case t.is("and") && between:
			between = false
		case t.is("and"):
			out = append(out, items[start:i])
			start = i + 1
		}
	}
	out = append(out, items[start:])
	var flat [][]sqlTok
	for _, cj := range out {
		if len(cj) == 1 && cj[0].kind == tkGroup && !isQueryGroup(cj[0]) {
			flat = append(flat, conjuncts(cj[0].sub)...)
			continue
		}
		flat = append(flat, cj)
	}
	return flat
}

// equality reads a conjunct a = b.
func equality(conj []sqlTok) (a, b sqlOperand, ok bool) {
	at := -1
	for i, t := range conj {
		if t.isOp("=") {
			if at >= 0 {
				return a, b, false
			}
			at = i
		}
	}
	if at < 0 {
		return a, b, false
	}
	a, b = operandOf(conj[:at]), operandOf(conj[at+1:])
	return a, b, a.kind != opOther && b.kind != opOther
}

// testTenancy is part of the schema's tenancy, for the checker's own
// tests (the statements test reads all of it from the database).
var testTenancy = sqlTenancy{
	"organizations": "id", "api_keys": "organization_id", "customers": "organization_id",
	"lead_sources": "organization_id", "tags": "organization_id", "customer_tags": "organization_id",
	"customer_representations": "organization_id", "webhooks": "organization_id",
	"webhook_deliveries": "organization_id", "customer_events": "organization_id",
}

// TestTenantCheckerReadsStatements proves the checker on statements
// written to pass and statements written to fail.
func TestTenantCheckerReadsStatements(t *testing.T) {
	t.Parallel()
	held := []struct{ name, sql string }{
		{"equality", `SELECT id FROM customers WHERE organization_id = $1 AND id = $2`},
		{"alias and cast", `SELECT c.id FROM customers AS c WHERE c.organization_id = $1::uuid`},
		{"any, in parentheses", `SELECT id FROM customers WHERE (organization_id = ANY($1) AND id = $2) AND email IS NOT NULL`},
		{"left join held by the other side", `SELECT c.id, l.data FROM customers c
			LEFT JOIN lead_sources l ON l.organization_id = c.organization_id AND l.customer_id = c.id WHERE c.organization_id = $1`},
		{"inner join held transitively", `SELECT 1 FROM webhook_deliveries d JOIN webhooks w ON w.organization_id = d.organization_id WHERE d.organization_id = $1`},
		{"correlated subquery", `SELECT c.id FROM customers c WHERE c.organization_id = $1
			AND EXISTS (SELECT 1 FROM customer_tags t WHERE t.organization_id = c.organization_id AND t.customer_id = c.id)`},
		{"derived table", `SELECT r.body FROM (SELECT c.* FROM customers c WHERE c.organization_id = $1 LIMIT 10) c
			JOIN customer_representations r ON r.organization_id = c.organization_id AND r.customer_id = c.id`},
		{"data-modifying CTE", `WITH gone AS (DELETE FROM webhook_deliveries WHERE organization_id = $1 AND id = $2 RETURNING organization_id, event_id)
			DELETE FROM customer_events e USING gone g WHERE e.organization_id = g.organization_id AND e.id = g.event_id`},
		{"insert values", `INSERT INTO tags (organization_id, id, name) VALUES ($1, $2, $3), ($1, $4, $5)
			ON CONFLICT (organization_id, name) DO UPDATE SET name = EXCLUDED.name`},
		{"insert select through a derived table", `INSERT INTO customer_tags (organization_id, customer_id, tag_id)
			SELECT * FROM (SELECT c.organization_id, c.id, $2 FROM customers c WHERE c.organization_id = $1) v`},
		{"update from a function", `UPDATE webhook_deliveries d SET status = o.status FROM unnest($2::uuid[], $3::text[]) AS o(id, status)
			WHERE d.organization_id = $1 AND d.id = o.id`},
		{"organization by its id", `SELECT name FROM organizations WHERE id = $1`},
		{"union", `SELECT id FROM tags WHERE organization_id = $1 UNION ALL (SELECT tag_id FROM customer_tags WHERE organization_id = $1)`},
		{"comments and strings", "SELECT id /* FROM api_keys */ FROM customers WHERE email = 'FROM api_keys' -- FROM api_keys\n AND organization_id = $1"},
		{"copy with the organization", `COPY lead_sources (organization_id, customer_id, data) FROM STDIN`},
		{"no tenant table", `SELECT pg_advisory_xact_lock($1)`},
		{"session statement", `SAVEPOINT store_call`},
		{"merge held by ON", `MERGE INTO tags t USING (SELECT $2::text AS name) s ON t.organization_id = $1 AND t.name = s.name
			WHEN MATCHED THEN UPDATE SET updated_time = now()`},
	}
	for _, c := range held {
		problems, err := testTenancy.check(c.sql)
		if err != nil || len(problems) > 0 {
			t.Errorf("%s: want held, got %v %v\n%s", c.name, problems, err, c.sql)
		}
	}
	loose := []struct{ name, sql string }{
		{"no predicate", `SELECT id FROM customers WHERE id = $1`},
		{"predicate on another alias", `SELECT c.id FROM customers c JOIN lead_sources l ON l.customer_id = c.id WHERE l.organization_id = $1`},
		{"predicate on another reference of the table", `SELECT 1 FROM customers a JOIN customers b ON b.id = a.id WHERE a.organization_id = $1`},
		{"predicate in another subquery", `SELECT c.id FROM customers c WHERE c.id IN (SELECT customer_id FROM lead_sources WHERE organization_id = $1)`},
		{"predicate in a scalar subquery", `SELECT (SELECT count(*) FROM tags t WHERE t.organization_id = $1) FROM customers c WHERE c.id = $2`},
		{"outer predicate inside a subquery", `SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM tags t WHERE c.organization_id = $1 AND t.organization_id = $1)`},
		{"under OR", `SELECT id FROM customers WHERE organization_id = $1 OR id = $2`},
		{"left join's ON on the preserved side", `SELECT c.id FROM customers c
			LEFT JOIN lead_sources l ON c.organization_id = $1 AND l.organization_id = $1 AND l.customer_id = c.id`},
		{"full join", `SELECT 1 FROM customers c FULL JOIN lead_sources l ON l.organization_id = $1 AND c.organization_id = $1`},
		{"predicate in a comment", "SELECT id FROM customers -- WHERE organization_id = $1\nWHERE id = $2"},
		{"predicate in a string", `SELECT id FROM customers WHERE email = 'x'' AND organization_id = $1'`},
		{"inequality", `SELECT id FROM customers WHERE organization_id <> $1`},
		{"negation", `SELECT id FROM customers WHERE NOT organization_id = $1`},
		{"equal to its own column", `SELECT id FROM customers WHERE organization_id = email`},
		{"derived table not held", `SELECT r.body FROM (SELECT * FROM customers WHERE id = $2) c
			JOIN customer_representations r ON r.organization_id = c.organization_id AND r.customer_id = c.id`},
		{"CTE not held", `WITH k AS (SELECT organization_id, id FROM api_keys WHERE secret_hash = $1)
			UPDATE api_keys a SET last_used_time = now() FROM k WHERE a.organization_id = k.organization_id AND a.id = k.id`},
		{"correlated to a table not held", `SELECT DISTINCT d.organization_id FROM webhook_deliveries d
			WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.organization_id = d.organization_id)`},
		{"one branch of a union", `SELECT id FROM tags WHERE organization_id = $1 UNION SELECT id FROM tags WHERE name = $2`},
		{"insert without the column", `INSERT INTO tags (id, name) VALUES ($1, $2)`},
		{"insert of a literal organization", `INSERT INTO tags (organization_id, id) VALUES ('00000000-0000-0000-0000-000000000000', $1)`},
		{"insert of one row not held", `INSERT INTO tags (organization_id, id) VALUES ($1, $2), (gen_random_uuid(), $3)`},
		{"insert select not held", `INSERT INTO customer_tags (organization_id, customer_id, tag_id) SELECT organization_id, id, $2 FROM customers WHERE id = $1`},
		{"conflict target without the organization", `INSERT INTO tags (organization_id, id, name) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`},
		{"update without predicate", `UPDATE customers SET email = $2 WHERE id = $1`},
		{"update moving a row", `UPDATE customers SET organization_id = $3 WHERE organization_id = $1 AND id = $2`},
		{"upsert moving a row", `INSERT INTO tags (organization_id, id, name) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, id) DO UPDATE SET organization_id = $4, name = EXCLUDED.name`},
		{"merge without the organization", `MERGE INTO tags t USING (SELECT $2::text AS name) s ON t.name = s.name
			WHEN MATCHED THEN DELETE`},
		{"merge inserting", `MERGE INTO tags t USING (SELECT $2::text AS name) s ON t.organization_id = $1 AND t.name = s.name
			WHEN NOT MATCHED THEN INSERT (organization_id, name) VALUES (gen_random_uuid(), s.name)`},
		{"delete using a table not held", `DELETE FROM customer_events e USING webhook_deliveries d WHERE e.organization_id = d.organization_id AND e.id = d.event_id`},
		{"copy without the organization", `COPY customers (id, email) FROM STDIN`},
		{"vacuum", `VACUUM (ANALYZE) customers`},
		{"organizations unkeyed", `SELECT name FROM organizations`},
		{"second statement", `SELECT 1 FROM tags WHERE organization_id = $1; DELETE FROM tags WHERE id = $1`},
	}
	for _, c := range loose {
		problems, err := testTenancy.check(c.sql)
		if err != nil || len(problems) == 0 {
			t.Errorf("%s: want a problem, got none (%v)\n%s", c.name, err, c.sql)
		}
	}
	for _, bad := range []string{`SELECT (`, `SELECT 'x`, `WITH x AS (SELECT 1)`, `SELECT 1 FROM customers c NATURAL JOIN lead_sources l`} {
		if _, err := testTenancy.check(bad); err == nil {
			t.Errorf("%q read without an error", bad)
		}
	}
}
