package seed

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/target/store"
)

// USDA FoodData Central nutrient ids read by ImportUSDA.
const (
	nutrientProtein = 1003
	nutrientFat     = 1004
	nutrientCarbs   = 1005
	nutrientEnergy  = 1008 // kcal
	nutrientFiber   = 1079
	// Foundation foods give energy by Atwater factors instead of 1008.
	nutrientEnergyAtwaterGeneral  = 2047
	nutrientEnergyAtwaterSpecific = 2048
)

// macros are one food's values per 100 g; hasEnergy tells a food without
// an energy value (skipped) from one with 0 kcal.
type macros struct {
	kcal, protein, carbs, fat, fiber float32
	hasEnergy                        bool
	energyRank                       int // which energy nutrient set kcal: lower wins
}

// ImportUSDA adds the foods of a USDA FoodData Central CSV download (the
// directory with food.csv and food_nutrient.csv; food_category.csv is used
// for category names when present) to the foods table and returns how many
// were added. Foods already imported (same fdc_id) and foods without an
// energy value are skipped. Values in FoodData Central are per 100 g.
//
// Nutrients are read first into memory (five numbers per food), then
// food.csv is streamed into COPY.
func ImportUSDA(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) (int64, error) {
	nutrients, err := readNutrients(fsys)
	if err != nil {
		return 0, err
	}
	categories, err := readCategories(fsys)
	if err != nil {
		return 0, err
	}
	f, err := fsys.Open("food.csv")
	if err != nil {
		return 0, fmt.Errorf("importing USDA foods: %w", err)
	}
	defer f.Close()
	rows, err := newCSV(f, "food.csv", "fdc_id", "description")
	if err != nil {
		return 0, err
	}

	var added int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE usda_foods (LIKE foods INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return err
		}
		var rowErr error
		src := pgx.CopyFromFunc(func() ([]any, error) {
			for {
				rec, err := rows.next()
				if err == io.EOF {
					return nil, nil
				}
				if err != nil {
					rowErr = err
					return nil, err
				}
				id, perr := strconv.ParseInt(rec.get("fdc_id"), 10, 64)
				if perr != nil {
					rowErr = rows.fieldErr("fdc_id", perr)
					return nil, rowErr
				}
				m, ok := nutrients[id]
				name := strings.TrimSpace(rec.get("description"))
				if !ok || !m.hasEnergy || name == "" {
					continue
				}
				cat := categories[rec.get("food_category_id")]
				if cat == "" {
					cat = rec.get("data_type")
				}
				return []any{name, cat, m.kcal, m.protein, m.carbs, m.fat, m.fiber, "fdc:" + strconv.FormatInt(id, 10)}, nil
			}
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"usda_foods"},
			[]string{"name", "category", "kcal", "protein_g", "carbs_g", "fat_g", "fiber_g", "source_id"}, src); err != nil {
			if rowErr != nil {
				return rowErr
			}
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO foods (name, category, kcal, protein_g, carbs_g, fat_g, fiber_g, source_id)
			SELECT DISTINCT ON (source_id) name, category, kcal, protein_g, carbs_g, fat_g, fiber_g, source_id
			FROM usda_foods u
			WHERE NOT EXISTS (SELECT 1 FROM foods f WHERE f.source_id = u.source_id)
			ORDER BY source_id`)
		if err != nil {
			return err
		}
		added = tag.RowsAffected()
		if err := store.RefreshFoodWords(ctx, tx); err != nil {
			return err
		}
		// New foods change search results: targets started afterwards
		// must not serve cached ones.
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("importing USDA foods: %w", err)
	}
	return added, nil
}

func readNutrients(fsys fs.FS) (map[int64]*macros, error) {
	f, err := fsys.Open("food_nutrient.csv")
	if err != nil {
		return nil, fmt.Errorf("importing USDA foods: %w", err)
	}
	defer f.Close()
	rows, err := newCSV(f, "food_nutrient.csv", "fdc_id", "nutrient_id", "amount")
	if err != nil {
		return nil, err
	}
	out := map[int64]*macros{}
	for {
		rec, err := rows.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		nid, err := strconv.Atoi(rec.get("nutrient_id"))
		if err != nil {
			return nil, rows.fieldErr("nutrient_id", err)
		}
		energyRank := 0
		switch nid {
		case nutrientEnergy:
			energyRank = 1
		case nutrientEnergyAtwaterSpecific:
			energyRank = 2
		case nutrientEnergyAtwaterGeneral:
			energyRank = 3
		case nutrientProtein, nutrientFat, nutrientCarbs, nutrientFiber:
		default:
			continue
		}
		id, err := strconv.ParseInt(rec.get("fdc_id"), 10, 64)
		if err != nil {
			return nil, rows.fieldErr("fdc_id", err)
		}
		amount, err := strconv.ParseFloat(rec.get("amount"), 32)
		if err != nil || amount < 0 {
			if err == nil {
				err = errors.New("negative")
			}
			return nil, rows.fieldErr("amount", err)
		}
		m := out[id]
		if m == nil {
			m = &macros{}
			out[id] = m
		}
		v := float32(amount)
		switch nid {
		case nutrientProtein:
			m.protein = v
		case nutrientFat:
			m.fat = v
		case nutrientCarbs:
			m.carbs = v
		case nutrientFiber:
			m.fiber = v
		default:
			if !m.hasEnergy || energyRank < m.energyRank {
				m.kcal, m.hasEnergy, m.energyRank = v, true, energyRank
			}
		}
	}
}

// readCategories maps food_category_id to its description; the file is optional.
func readCategories(fsys fs.FS) (map[string]string, error) {
	out := map[string]string{}
	f, err := fsys.Open("food_category.csv")
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("importing USDA foods: %w", err)
	}
	defer f.Close()
	rows, err := newCSV(f, "food_category.csv", "id", "description")
	if err != nil {
		return nil, err
	}
	for {
		rec, err := rows.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out[rec.get("id")] = rec.get("description")
	}
}

// csvFile reads a CSV file with a header row, by column name, and names the
// file, line and column in its errors.
type csvFile struct {
	name string
	r    *csv.Reader
	cols map[string]int
	line int
}

type csvRecord struct {
	f   *csvFile
	rec []string
}

func newCSV(r io.Reader, name string, required ...string) (*csvFile, error) {
	c := &csvFile{name: name, r: csv.NewReader(r), cols: map[string]int{}}
	c.r.FieldsPerRecord = -1
	c.r.ReuseRecord = true
	header, err := c.r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", name, err)
	}
	for i, h := range header {
		c.cols[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, col := range required {
		if _, ok := c.cols[col]; !ok {
			return nil, fmt.Errorf("%s line 1: missing column %q (is this the FoodData Central CSV layout?)", name, col)
		}
	}
	c.line = 1
	return c, nil
}

func (c *csvFile) next() (csvRecord, error) {
	rec, err := c.r.Read()
	c.line++
	if err == io.EOF {
		return csvRecord{}, io.EOF
	}
	if err != nil {
		return csvRecord{}, fmt.Errorf("%s: %w", c.name, err)
	}
	return csvRecord{f: c, rec: rec}, nil
}

func (r csvRecord) get(col string) string {
	i, ok := r.f.cols[col]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return r.rec[i]
}

func (c *csvFile) fieldErr(col string, err error) error {
	return fmt.Errorf("%s line %d: column %s: %w", c.name, c.line, col, err)
}

// ImportUSDAURL connects to databaseURL and imports the FoodData Central
// CSV files of dir (see ImportUSDA).
func ImportUSDAURL(ctx context.Context, databaseURL, dir string) (int64, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return 0, fmt.Errorf("importing USDA foods: connecting: %w", redact.Error(err))
	}
	defer pool.Close()
	return ImportUSDA(ctx, pool, os.DirFS(dir))
}
