package store

import (
	"strconv"
	"strings"
)

// dialect is the SQL flavour of the open database. Queries are written once, in the subset
// both accept, with SQLite's placeholders (? and ?N); rebind turns them into PostgreSQL's $N.
// What differs beyond that (DDL, claiming outbox rows) is chosen by dialect where it is used.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// rebind rewrites SQLite placeholders as PostgreSQL ones, numbering them as SQLite does: ?N is
// parameter N, and a bare ? is one more than the largest number used so far. Placeholders
// inside string literals are left alone.
func rebind(q string) string {
	var (
		b       strings.Builder
		next    int
		inQuote bool
	)
	b.Grow(len(q) + 8)
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' {
			inQuote = !inQuote // '' inside a literal toggles twice: still inside
		}
		if c != '?' || inQuote {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		n := next + 1
		if j > i+1 {
			n, _ = strconv.Atoi(q[i+1 : j])
		}
		next = max(next, n)
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		i = j - 1
	}
	return b.String()
}

// q returns query in the store's dialect; PostgreSQL's rebound queries are cached, since the
// same few dozen statements run all the time.
func (s *Store) q(query string) string {
	if s.d == dialectSQLite {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	v := rebind(query)
	s.rebound.Store(query, v)
	return v
}
