package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// The two engines' migrations are written by hand, one directory each.
// This test migrates both and compares what they built, fact by fact:
// tables, columns (type class, nullability, primary key), foreign keys with
// their delete rule, CHECK constraints, and indexes (unique or not, and the
// columns or expressions they cover). A difference fails the test unless it
// is one of the intended ones below, each with its reason.
var intendedDifferences = map[string]string{
	// Full-text search: SQLite keeps an FTS5 table in step with writes,
	// PostgreSQL indexes the text columns with GIN over tsvector.
	"sqlite: table search_index":              "SQLite's full-text index is an FTS5 table",
	"postgres: index sources.sources_fts gin": "PostgreSQL's full-text index over sources",
	"postgres: index notes.notes_fts gin":     "PostgreSQL's full-text index over notes",
	"sqlite: column search_index.kind text":   "FTS5 columns",
	"sqlite: column search_index.id text":     "FTS5 columns",
	"sqlite: column search_index.title text":  "FTS5 columns",
	"sqlite: column search_index.body text":   "FTS5 columns",
	"sqlite: column search_index.kind null":   "FTS5 columns",
	"sqlite: column search_index.id null":     "FTS5 columns",
	"sqlite: column search_index.title null":  "FTS5 columns",
	"sqlite: column search_index.body null":   "FTS5 columns",
}

func TestBothEnginesBuildTheSameSchema(t *testing.T) {
	if os.Getenv(storetest.PostgresURLVar) == "" {
		t.Skip(storetest.PostgresURLVar + " is not set")
	}
	lite := describe(t, store.SQLite)
	pg := describe(t, store.Postgres)
	t.Logf("%d facts on SQLite, %d on PostgreSQL", len(lite), len(pg))
	var problems []string
	for _, f := range lite {
		if !slices.Contains(pg, f) {
			if _, ok := intendedDifferences["sqlite: "+f]; !ok {
				problems = append(problems, "only on SQLite: "+f)
			}
		}
	}
	for _, f := range pg {
		if !slices.Contains(lite, f) {
			if _, ok := intendedDifferences["postgres: "+f]; !ok {
				problems = append(problems, "only on PostgreSQL: "+f)
			}
		}
	}
	for d := range intendedDifferences {
		engine, fact, _ := strings.Cut(d, ": ")
		facts := lite
		if engine == "postgres" {
			facts = pg
		}
		if !slices.Contains(facts, fact) {
			problems = append(problems, "an intended difference no longer exists (remove it from the list): "+d)
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Fatalf("the schemas differ:\n%s", strings.Join(problems, "\n"))
	}
}

// describe migrates a fresh database of engine and lists its schema as
// comparable facts.
func describe(t *testing.T, engine store.Engine) []string {
	t.Helper()
	url, dir := storetest.URL(t, engine)
	db, err := store.Open(t.Context(), url, dir, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	driver, dsn := "pgx", url
	if engine == store.SQLite {
		driver, dsn = "sqlite", filepath.Join(dir, store.FileName)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var facts []string
	if engine == store.SQLite {
		facts = describeSQLite(t, raw)
	} else {
		facts = describePostgres(t, raw)
	}
	// River's tables are River's: it keeps one schema per engine and
	// versions them itself (store/river.go pins the version). Only their
	// names are compared.
	var own []string
	for _, f := range facts {
		if !strings.Contains(f, " river_") || strings.HasPrefix(f, "table ") {
			own = append(own, f)
		}
	}
	sort.Strings(own)
	return own
}

// typeClass reduces a declared type to what both engines agree on.
func typeClass(decl string) string {
	d := strings.ToLower(decl)
	switch {
	case strings.Contains(d, "int"):
		return "integer"
	case strings.Contains(d, "char"), strings.Contains(d, "text"), strings.Contains(d, "json"):
		return "text"
	case strings.Contains(d, "real"), strings.Contains(d, "double"), strings.Contains(d, "float"), strings.Contains(d, "numeric"):
		return "real"
	case strings.Contains(d, "blob"), strings.Contains(d, "bytea"):
		return "blob"
	case strings.Contains(d, "bool"):
		return "boolean"
	case d == "":
		return "text" // an FTS5 column
	}
	return d
}

func rows(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rs, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func nullability(notNull bool) string {
	if notNull {
		return "not null"
	}
	return "null"
}

var checkStart = regexp.MustCompile(`(?i)\bCHECK\s*\(`)

// checkFacts names, for each CHECK constraint in a table's DDL, every
// column its expression mentions, as PostgreSQL's catalogue lists them.
func checkFacts(table, ddl string, columns []string) []string {
	var facts []string
	for _, loc := range checkStart.FindAllStringIndex(ddl, -1) {
		depth, end := 1, loc[1]
		for end < len(ddl) && depth > 0 {
			switch ddl[end] {
			case '(':
				depth++
			case ')':
				depth--
			}
			end++
		}
		expr := ddl[loc[1]:end]
		for _, c := range columns {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(c) + `\b`).MatchString(expr) {
				facts = append(facts, fmt.Sprintf("check %s.%s", table, c))
			}
		}
	}
	return facts
}

func describeSQLite(t *testing.T, db *sql.DB) []string {
	var facts []string
	for _, tbl := range rows(t, db, `SELECT name, sql FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index_%' AND name != 'goose_db_version'`) {
		name, ddl := tbl[0], tbl[1]
		facts = append(facts, "table "+name)
		var columns []string
		for _, c := range rows(t, db, `SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, name) {
			columns = append(columns, c[0])
			pk := c[3] != "0"
			facts = append(facts, fmt.Sprintf("column %s.%s %s", name, c[0], typeClass(c[1])),
				fmt.Sprintf("column %s.%s %s", name, c[0], nullability(c[2] == "1" || pk)))
			if pk {
				facts = append(facts, fmt.Sprintf("primary key %s.%s", name, c[0]))
			}
		}
		for _, fk := range rows(t, db, `SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)`, name) {
			facts = append(facts, fmt.Sprintf("foreign key %s.%s -> %s.%s on delete %s", name, fk[0], fk[1], fk[2], strings.ToLower(fk[3])))
		}
		for _, u := range rows(t, db, `SELECT name FROM pragma_index_list(?) WHERE origin = 'u'`, name) {
			var cols []string
			for _, c := range rows(t, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, u[0]) {
				cols = append(cols, c[0])
			}
			facts = append(facts, fmt.Sprintf("unique %s (%s)", name, strings.Join(cols, ",")))
		}
		facts = append(facts, checkFacts(name, ddl, columns)...)
	}
	for _, ix := range rows(t, db, `SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`) {
		unique := ""
		if strings.HasPrefix(strings.ToUpper(ix[2]), "CREATE UNIQUE") {
			unique = " unique"
		}
		facts = append(facts, fmt.Sprintf("index %s.%s%s (%s)", ix[1], ix[0], unique, indexColumns(ix[2])))
	}
	return facts
}

func describePostgres(t *testing.T, db *sql.DB) []string {
	var facts []string
	for _, tbl := range rows(t, db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'goose_db_version'`) {
		name := tbl[0]
		facts = append(facts, "table "+name)
		for _, c := range rows(t, db, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, name) {
			facts = append(facts, fmt.Sprintf("column %s.%s %s", name, c[0], typeClass(c[1])),
				fmt.Sprintf("column %s.%s %s", name, c[0], nullability(c[2] == "NO")))
		}
	}
	for _, c := range rows(t, db, `SELECT rel.relname, con.contype, att.attname,
			coalesce(frel.relname, ''), coalesce(fatt.attname, ''), con.confdeltype
		FROM pg_constraint con
		JOIN pg_class rel ON rel.oid = con.conrelid
		JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = current_schema()
		JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, n) ON true
		JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attnum = k.attnum
		LEFT JOIN pg_class frel ON frel.oid = con.confrelid
		LEFT JOIN pg_attribute fatt ON fatt.attrelid = con.confrelid AND fatt.attnum = con.confkey[k.n]
		WHERE con.contype IN ('p', 'f', 'c') AND rel.relname != 'goose_db_version'`) {
		switch c[1] {
		case "p":
			facts = append(facts, fmt.Sprintf("primary key %s.%s", c[0], c[2]))
		case "f":
			rule := map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}[c[5]]
			facts = append(facts, fmt.Sprintf("foreign key %s.%s -> %s.%s on delete %s", c[0], c[2], c[3], c[4], rule))
		case "c":
			facts = append(facts, fmt.Sprintf("check %s.%s", c[0], c[2]))
		}
	}
	for _, u := range rows(t, db, `SELECT rel.relname, string_agg(att.attname, ',' ORDER BY k.n)
		FROM pg_constraint con
		JOIN pg_class rel ON rel.oid = con.conrelid
		JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = current_schema()
		JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, n) ON true
		JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attnum = k.attnum
		WHERE con.contype = 'u' GROUP BY con.oid, rel.relname`) {
		facts = append(facts, fmt.Sprintf("unique %s (%s)", u[0], u[1]))
	}
	// Indexes that back a primary key or a unique constraint are facts of
	// their constraints already.
	for _, ix := range rows(t, db, `SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename != 'goose_db_version' AND NOT EXISTS (
			SELECT 1 FROM pg_constraint con WHERE con.conname = i.indexname AND con.contype IN ('p', 'u'))`) {
		def := ix[2]
		if strings.Contains(def, "USING gin") {
			facts = append(facts, fmt.Sprintf("index %s.%s gin", ix[0], ix[1]))
			continue
		}
		unique := ""
		if strings.HasPrefix(def, "CREATE UNIQUE") {
			unique = " unique"
		}
		facts = append(facts, fmt.Sprintf("index %s.%s%s (%s)", ix[0], ix[1], unique, indexColumns(def)))
	}
	return facts
}

// indexColumns extracts what an index covers from its definition, in a
// form both engines print alike.
func indexColumns(def string) string {
	i := strings.Index(def, "(")
	j := strings.LastIndex(def, ")")
	if i < 0 || j < i {
		return def
	}
	cols := def[i+1 : j]
	if w := strings.Index(strings.ToUpper(def[j:]), "WHERE"); w >= 0 {
		cols += " where " + strings.TrimSpace(def[j+w+len("WHERE"):])
	}
	cols = strings.ToLower(strings.Join(strings.Fields(cols), " "))
	return strings.NewReplacer("::text", "", "(", "", ")", "", " ", "").Replace(cols)
}
