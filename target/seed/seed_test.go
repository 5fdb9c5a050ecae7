package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/store"
	"github.com/loadgate/loadgate/target/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// fingerprint summarizes every seeded table in one row of checksums.
func fingerprint(t *testing.T, url string) [6]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var f [6]string
	for i, q := range []string{
		"SELECT count(*) || ':' || md5(string_agg(id || name || email || created_at, ',' ORDER BY id)) FROM users",
		"SELECT count(*) || ':' || md5(string_agg(id || name || kcal || protein_g, ',' ORDER BY id)) FROM foods",
		"SELECT count(*) || ':' || md5(string_agg(id || ':' || user_id || role || content || created_at, ',' ORDER BY id)) FROM messages",
		"SELECT count(*) || ':' || md5(string_agg(user_id || ':' || kind || content, ',' ORDER BY id)) FROM memories",
		"SELECT count(*) || ':' || md5(string_agg(user_id || ':' || total, ',' ORDER BY user_id)) FROM user_xp",
		"SELECT count(*)::text FROM api_keys",
	} {
		if err := conn.QueryRow(ctx, q).Scan(&f[i]); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return f
}

func TestSeedIsDeterministicAndReplaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	if empty, err := seed.IsEmpty(ctx, url); err != nil || !empty {
		t.Fatalf("IsEmpty before migrating = %v, %v; want true", empty, err)
	}
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	if err := seed.SeedURL(ctx, url, seed.Small()); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	first := fingerprint(t, url)
	if empty, err := seed.IsEmpty(ctx, url); err != nil || empty {
		t.Fatalf("IsEmpty after seeding = %v, %v; want false", empty, err)
	}
	if first[0][:3] != "50:" || first[1][:5] != "2000:" || first[2][:5] != "5000:" || first[5] != "1" {
		t.Fatalf("row counts: %v", first)
	}
	// Seeding again replaces the data with the very same rows.
	if err := seed.SeedURL(ctx, url, seed.Small()); err != nil {
		t.Fatalf("Seed again: %v", err)
	}
	if again := fingerprint(t, url); again != first {
		t.Fatalf("second seed differs:\n%v\n%v", first, again)
	}
	// Another seed value gives other data.
	other := seed.Small()
	other.Seed = 2
	if err := seed.SeedURL(ctx, url, other); err != nil {
		t.Fatal(err)
	}
	if diff := fingerprint(t, url); diff[2] == first[2] || diff[0] == first[0] {
		t.Fatal("seed 2 gives the same messages or users as seed 1")
	}

	pool, err := pgxConnectPool(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	if gen, err := st.Generation(ctx); err != nil || gen != 3 {
		t.Fatalf("generation after three seeds = %d, %v; want 3", gen, err)
	}
	// The dataset ID names generation 3 of this database's seeding; the
	// same generation number seeded at another moment has another ID.
	id3, err := st.DatasetID(ctx)
	if err != nil || !strings.HasPrefix(id3, "3.") {
		t.Fatalf("dataset ID %q, %v; want 3.<seed time>", id3, err)
	}
	if _, err := pool.Exec(ctx, "UPDATE dataset SET seeded_at = seeded_at - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if other, err := st.DatasetID(ctx); err != nil || other == id3 || !strings.HasPrefix(other, "3.") {
		t.Fatalf("dataset ID after another seed time %q (before %q), %v", other, id3, err)
	}
	if ok, err := st.APIKeyExists(ctx, store.HashKey("dev-key")); err != nil || !ok {
		t.Fatalf("dev-key stored: %v, %v", ok, err)
	}
	if err := seed.AddAPIKey(ctx, url, "ci", "ci-secret"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.APIKeyExists(ctx, store.HashKey("ci-secret")); !ok {
		t.Fatal("added key not found")
	}
	// The plain key is nowhere in the table.
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM api_keys WHERE position('ci-secret'::bytea in key_hash) > 0 OR name = 'ci-secret'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("plain key stored: %d, %v", n, err)
	}
	// New rows continue after the seeded ids.
	u, err := st.CreateUser(ctx, "New", "new@example.test")
	if err != nil || u.ID != int64(other.Users)+1 {
		t.Fatalf("new user id %d, %v; want %d", u.ID, err, other.Users+1)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	err := seed.Options{Users: 0, Foods: -1, Messages: -5}.Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"users 0", "foods -1", "messages -5"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := seed.SeedURL(context.Background(), testdb.URL(t), seed.Options{}); err == nil {
		t.Fatal("Seed with zero options succeeded")
	}
}
