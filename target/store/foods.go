package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
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

// SearchFoods ranks foods whose lower-cased name contains something like q:
// word similarity of trigrams, so prefixes ("chick") and misspellings
// ("chiken") match. The optimized profile answers it from the trigram index
// foods_name_trgm_idx; without it, it is a sequential scan.
func (s *Store) SearchFoods(ctx context.Context, q string, limit int) ([]FoodHit, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+foodColumns+`, word_similarity($1, lower(name)) AS score
		FROM foods
		WHERE $1 <% lower(name)
		ORDER BY score DESC, length(name), id
		LIMIT $2`, q, limit)
	if err != nil {
		return nil, translate(err, "searching foods")
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (FoodHit, error) {
		var h FoodHit
		err := scanFood(row, &h.Food, &h.Score)
		return h, err
	})
	return hits, translate(err, "searching foods")
}

// FoodsNamed returns, for each word, the best matching food if any: the
// nutrition facts for foods a chat message names. One round trip.
func (s *Store) FoodsNamed(ctx context.Context, words []string) ([]Food, error) {
	if len(words) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT ON (f.id) f.id, f.name, f.category, f.kcal, f.protein_g, f.carbs_g, f.fat_g, f.fiber_g
		FROM unnest($1::text[]) AS w(word)
		CROSS JOIN LATERAL (
			SELECT `+foodColumns+` FROM foods
			WHERE w.word <% lower(name)
			ORDER BY word_similarity(w.word, lower(name)) DESC, length(name), id
			LIMIT 1) AS f`, words)
	if err != nil {
		return nil, translate(err, "finding foods named in a message")
	}
	foods, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Food, error) {
		var f Food
		err := scanFood(row, &f)
		return f, err
	})
	return foods, translate(err, "finding foods named in a message")
}

// GetFood reads one food by id.
func (s *Store) GetFood(ctx context.Context, id int64) (Food, error) {
	var f Food
	err := scanFood(s.pool.QueryRow(ctx, "SELECT "+foodColumns+" FROM foods WHERE id = $1", id), &f)
	return f, translate(err, fmt.Sprintf("reading food %d", id))
}
