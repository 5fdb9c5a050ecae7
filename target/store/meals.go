package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Meal is a logged portion of a food with its macros.
type Meal struct {
	ID       int64     `json:"id"`
	FoodID   int64     `json:"food_id"`
	FoodName string    `json:"food_name"`
	Grams    float32   `json:"grams"`
	Kcal     float32   `json:"kcal"`
	ProteinG float32   `json:"protein_g"`
	CarbsG   float32   `json:"carbs_g"`
	FatG     float32   `json:"fat_g"`
	EatenAt  time.Time `json:"eaten_at"`
	Day      string    `json:"day"`
}

// DayTotals sums a user's meals of one day.
type DayTotals struct {
	Day      string  `json:"day"`
	Meals    int64   `json:"meals"`
	Kcal     float64 `json:"kcal"`
	ProteinG float64 `json:"protein_g"`
	CarbsG   float64 `json:"carbs_g"`
	FatG     float64 `json:"fat_g"`
}

// qLogMeal stores $3 grams of food $2 eaten by user $1 at $4 (day $5) with
// the macros computed from the food, and awards $6 XP, in one statement; no
// row when the food does not exist (and then no award).
var qLogMeal = `/*q:log_meal*/
	WITH m AS (
		INSERT INTO meals (user_id, food_id, grams, kcal, protein_g, carbs_g, fat_g, eaten_at, day)
		SELECT $1, f.id, $3, f.kcal * $3 / 100, f.protein_g * $3 / 100, f.carbs_g * $3 / 100,
		       f.fat_g * $3 / 100, $4, $5::date
		FROM foods f WHERE f.id = $2
		RETURNING id, kcal, protein_g, carbs_g, fat_g), ` + xpUpsertCTEs("m", "$6", "'meal'") + `
	SELECT m.id, m.kcal, m.protein_g, m.carbs_g, m.fat_g, (SELECT name FROM foods WHERE id = $2), x.total
	FROM m, x`

// LogMeal stores grams of a food eaten at a time (its day in UTC), computing
// the macros from the food's values per 100 g, and awards xp, atomically
// (one statement). An unknown user or food is ErrNotFound.
func (s *Store) LogMeal(ctx context.Context, userID, foodID int64, grams float32, at time.Time, xp int) (Meal, int64, error) {
	m := Meal{FoodID: foodID, Grams: grams, EatenAt: at.UTC(), Day: at.UTC().Format(time.DateOnly)}
	var total int64
	err := s.pool.QueryRow(ctx, qLogMeal, userID, foodID, grams, m.EatenAt, m.Day, xp).
		Scan(&m.ID, &m.Kcal, &m.ProteinG, &m.CarbsG, &m.FatG, &m.FoodName, &total)
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound(fmt.Sprintf("food %d", foodID), ErrNotFound)
	}
	if err != nil {
		return Meal{}, 0, translate(err, fmt.Sprintf("logging meal of user %d", userID))
	}
	return m, total, nil
}

const qDailyTotals = `/*q:meals_daily*/
	SELECT count(*), coalesce(sum(kcal), 0), coalesce(sum(protein_g), 0),
	       coalesce(sum(carbs_g), 0), coalesce(sum(fat_g), 0)
	FROM meals WHERE user_id = $1 AND day = $2::date`

// DailyTotals sums the user's meals of day (YYYY-MM-DD). An unknown user is
// ErrNotFound; a day without meals is all zeros.
func (s *Store) DailyTotals(ctx context.Context, userID int64, day time.Time) (DayTotals, error) {
	d := DayTotals{Day: day.Format(time.DateOnly)}
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, qDailyTotals, userID, d.Day).
			Scan(&d.Meals, &d.Kcal, &d.ProteinG, &d.CarbsG, &d.FatG)
	})
	if err != nil {
		return DayTotals{}, translate(err, "summing meals")
	}
	return d, s.requireUser(ctx, userID, d.Meals == 0)
}

const qMeal = `/*q:meal*/
	SELECT m.food_id, f.name, m.grams, m.kcal, m.protein_g, m.carbs_g, m.fat_g, m.eaten_at, m.day
	FROM meals m JOIN foods f ON f.id = m.food_id
	WHERE m.id = $2 AND m.user_id = $1`

// Meal reads one meal of a user by its id. A meal that does not exist, or
// that another user logged, is ErrNotFound.
func (s *Store) Meal(ctx context.Context, userID, mealID int64) (Meal, error) {
	m := Meal{ID: mealID}
	var day time.Time
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, qMeal, userID, mealID).
			Scan(&m.FoodID, &m.FoodName, &m.Grams, &m.Kcal, &m.ProteinG, &m.CarbsG, &m.FatG, &m.EatenAt, &day)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Meal{}, fmt.Errorf("meal %d of user %d: %w", mealID, userID, ErrNotFound)
	}
	if err != nil {
		return Meal{}, translate(err, "reading a meal")
	}
	m.EatenAt = m.EatenAt.UTC()
	m.Day = day.Format(time.DateOnly)
	return m, nil
}
