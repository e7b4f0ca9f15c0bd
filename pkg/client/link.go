package client

import "strings"

// parsePageLinks reads the first, prev, next and last targets of Link
// header values (RFC 8288: `<url>; rel="next", <url>; rel=last`). Unknown
// relations and malformed entries are skipped; a rel may list several
// relation types separated by spaces.
func parsePageLinks(values []string) PageLinks {
	var out PageLinks
	for _, v := range values {
		for _, l := range splitLinks(v) {
			for _, rel := range strings.Fields(strings.ToLower(l.rel)) {
				switch rel {
				case "first":
					out.First = l.target
				case "prev", "previous":
					out.Prev = l.target
				case "next":
					out.Next = l.target
				case "last":
					out.Last = l.target
				}
			}
		}
	}
	return out
}

type linkValue struct{ target, rel string }

// splitLinks parses one Link header value into its link-values. Commas
// separate link-values only outside <…> and outside quoted strings.
func splitLinks(s string) []linkValue {
	var out []linkValue
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" || s[0] != '<' {
			return out
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return out
		}
		lv := linkValue{target: s[1:end]}
		s = s[end+1:]
		// Parameters: ; name[=value], value a token or a quoted string.
		for {
			s = strings.TrimLeft(s, " \t")
			if s == "" || s[0] != ';' {
				break
			}
			s = strings.TrimLeft(s[1:], " \t")
			i := strings.IndexAny(s, "=;,")
			if i < 0 {
				s = ""
				break
			}
			name := strings.ToLower(strings.TrimSpace(s[:i]))
			if s[i] != '=' {
				s = s[i:]
				continue
			}
			s = strings.TrimLeft(s[i+1:], " \t")
			var value string
			value, s = paramValue(s)
			if name == "rel" && lv.rel == "" {
				lv.rel = value
			}
		}
		out = append(out, lv)
	}
}

// paramValue reads a token or a quoted string (with \ escapes) from the
// start of s and returns it and the rest.
func paramValue(s string) (value, rest string) {
	if s == "" || s[0] != '"' {
		i := strings.IndexAny(s, ";, \t")
		if i < 0 {
			return s, ""
		}
		return s[:i], s[i:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}
