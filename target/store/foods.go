package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Food is one row of the food table; nutrients are per 100 g.
type Food struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Kcal     float32 `json:"kcal"`
	ProteinG float32 `json:"protein_g"`
	CarbsG   float32 `json:"carbs_g"`
	FatG     float32 `json:"fat_g"`
	FiberG   float32 `json:"fiber_g"`
}

// FoodHit is a search result with its relevance in [0, 1].
type FoodHit struct {
	Food
	Score float32 `json:"score"`
}

const foodColumns = "id, name, category, kcal, protein_g, carbs_g, fat_g, fiber_g"

func scanFood(row pgx.Row, f *Food, extra ...any) error {
	return row.Scan(append([]any{&f.ID, &f.Name, &f.Category, &f.Kcal, &f.ProteinG, &f.CarbsG, &f.FatG, &f.FiberG}, extra...)...)
}

// maxSearchWords bounds the words of a nutrition search.
const maxSearchWords = 5

// SearchFoods finds foods whose lower-cased name contains every word of q
// (so prefixes match: "bluebe" finds blueberries), names starting with q
// first, then shorter names. When nothing matches, each word is corrected to
// the most similar word of the food-name vocabulary (trigrams: "brocoli" is
// "broccoli") and the search runs once more. Score is the trigram word
// similarity of q to the name. In the optimized profile the substring
// conditions are answered by foods_name_trgm_idx and the correction by
// food_words_trgm_idx; without them both are sequential scans.
func (s *Store) SearchFoods(ctx context.Context, q string, limit int) ([]FoodHit, error) {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil, nil
	}
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	hits, err := s.searchFoods(ctx, words, limit)
	if err != nil || len(hits) > 0 {
		return hits, err
	}
	fixed, err := s.correctWords(ctx, words)
	if err != nil || slices.Equal(fixed, words) {
		return hits, err
	}
	return s.searchFoods(ctx, fixed, limit)
}

// SearchFoodsSQL is the statement SearchFoods runs for n words, with its
// arguments: the query, one LIKE pattern per word, the prefix pattern and
// the limit.
func SearchFoodsSQL(words []string, limit int) (string, []any) {
	var b strings.Builder
	args := []any{strings.Join(words, " ")}
	b.WriteString("/*q:nutrition_search*/ SELECT " + foodColumns + ", word_similarity($1, lower(name)) AS score FROM (\n")
	b.WriteString("\tSELECT " + foodColumns + " FROM foods\n\tWHERE ")
	for i, w := range words {
		if i > 0 {
			b.WriteString(" AND ")
		}
		args = append(args, "%"+escapeLike(w)+"%")
		fmt.Fprintf(&b, "lower(name) LIKE $%d", len(args))
	}
	args = append(args, escapeLike(strings.Join(words, " "))+"%", limit)
	fmt.Fprintf(&b, "\n\tORDER BY lower(name) LIKE $%d DESC, length(name), id\n\tLIMIT $%d\n) AS f\n", len(args)-1, len(args))
	b.WriteString("ORDER BY lower(name) LIKE $" + strconv.Itoa(len(args)-1) + " DESC, length(name), id")
	return b.String(), args
}

func (s *Store) searchFoods(ctx context.Context, words []string, limit int) ([]FoodHit, error) {
	sql, args := SearchFoodsSQL(words, limit)
	hits, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, sql, args...) }, func(row pgx.CollectableRow) (FoodHit, error) {
		var h FoodHit
		err := scanFood(row, &h.Food, &h.Score)
		return h, err
	})
	return hits, translate(err, "searching foods")
}

const qCorrectWords = `/*q:nutrition_correct*/
	SELECT coalesce((
		SELECT word FROM food_words
		WHERE word % w.q
		ORDER BY similarity(word, w.q) DESC, word
		LIMIT 1), w.q)
	FROM unnest($1::text[]) WITH ORDINALITY AS w(q, n)
	ORDER BY w.n`

// correctWords replaces each word by the most similar vocabulary word, if
// any is similar enough (pg_trgm's similarity threshold).
func (s *Store) correctWords(ctx context.Context, words []string) ([]string, error) {
	fixed, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, qCorrectWords, words) }, pgx.RowTo[string])
	return fixed, translate(err, "correcting search words")
}

// escapeLike escapes LIKE's wildcards in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

const qRefreshFoodWords = `/*q:food_words_refresh*/
	INSERT INTO food_words (word)
	SELECT DISTINCT w FROM foods, regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS w
	WHERE length(w) >= 2
	ON CONFLICT DO NOTHING`

// RefreshFoodWords adds the words of every food name to the vocabulary that
// SearchFoods corrects misspellings against. Run it after loading foods.
func RefreshFoodWords(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}) error {
	if _, err := db.Exec(ctx, qRefreshFoodWords); err != nil {
		return translate(err, "refreshing the food-name vocabulary")
	}
	return nil
}

const qFoodsNamed = `/*q:foods_named*/
	SELECT DISTINCT ON (f.id) f.id, f.name, f.category, f.kcal, f.protein_g, f.carbs_g, f.fat_g, f.fiber_g
	FROM unnest($1::text[]) AS w(word)
	CROSS JOIN LATERAL (
		SELECT ` + foodColumns + ` FROM foods
		WHERE lower(name) LIKE '%' || w.word || '%'
		ORDER BY length(name), id
		LIMIT 1) AS f`

// FoodsNamed returns, for each word (letters only), the food with the
// shortest name containing it, if any: the nutrition facts for foods a chat
// message names. One round trip.
func (s *Store) FoodsNamed(ctx context.Context, words []string) ([]Food, error) {
	if len(words) == 0 {
		return nil, nil
	}
	foods, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, qFoodsNamed, words) }, func(row pgx.CollectableRow) (Food, error) {
		var f Food
		err := scanFood(row, &f)
		return f, err
	})
	return foods, translate(err, "finding foods named in a message")
}

// GetFood reads one food by id.
func (s *Store) GetFood(ctx context.Context, id int64) (Food, error) {
	var f Food
	err := s.retryRead(ctx, func() error {
		return scanFood(s.pool.QueryRow(ctx, "/*q:food*/ SELECT "+foodColumns+" FROM foods WHERE id = $1", id), &f)
	})
	return f, translate(err, fmt.Sprintf("reading food %d", id))
}
