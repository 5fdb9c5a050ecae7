package seed_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/loadgate/loadgate/migrations"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/store"
	"github.com/loadgate/loadgate/target/testdb"
)

// A few rows in the FoodData Central layout (columns trimmed to the ones
// that matter, plus one the importer ignores).
var usdaFiles = fstest.MapFS{
	"food.csv": {Data: []byte(`"fdc_id","data_type","description","food_category_id","publication_date"
"321358","foundation_food","Hummus, commercial","16","2019-04-01"
"321359","foundation_food","Kiwifruit, green, raw","9","2019-04-01"
"900001","sr_legacy_food","Mystery food without energy","9","2019-04-01"
`)},
	"food_nutrient.csv": {Data: []byte(`"id","fdc_id","nutrient_id","amount","data_points"
"1","321358","1003","7.35","1"
"2","321358","1004","17.1","1"
"3","321358","1005","14.9","1"
"4","321358","2047","229","1"
"5","321358","1079","5.4","1"
"6","321359","1008","58","1"
"7","321359","2047","64","1"
"8","321359","1003","1.06","1"
"9","321359","1093","3","1"
"10","900001","1003","5","1"
`)},
	"food_category.csv": {Data: []byte(`"id","code","description"
"9","0900","Fruits and Fruit Juices"
"16","1600","Legumes and Legume Products"
`)},
}

func TestImportUSDA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.Fresh(t)
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	n, err := seed.ImportUSDA(ctx, pool, usdaFiles)
	if err != nil || n != 2 {
		t.Fatalf("ImportUSDA = %d, %v; want 2 foods (the one without energy skipped)", n, err)
	}
	st := store.New(pool)
	hits, err := st.SearchFoods(ctx, "kiwi", 5)
	if err != nil || len(hits) != 1 {
		t.Fatalf("search kiwi: %v, %v", hits, err)
	}
	k := hits[0]
	// Energy 1008 wins over the Atwater value; category from food_category.csv.
	if k.Name != "Kiwifruit, green, raw" || k.Kcal != 58 || k.ProteinG != 1.06 || k.Category != "Fruits and Fruit Juices" {
		t.Fatalf("kiwi = %+v", k)
	}
	// Misspelled: corrected by the vocabulary.
	hits, _ = st.SearchFoods(ctx, "humus commercial", 5)
	if len(hits) != 1 || hits[0].Kcal != 229 || hits[0].FatG != 17.1 {
		t.Fatalf("hummus = %+v", hits)
	}
	// Importing again adds nothing.
	if n, err := seed.ImportUSDA(ctx, pool, usdaFiles); err != nil || n != 0 {
		t.Fatalf("second import = %d, %v; want 0", n, err)
	}
}

func TestImportUSDABadInputIsNamed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.URL(t)
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"missing file", fstest.MapFS{"food.csv": usdaFiles["food.csv"]}, "food_nutrient.csv"},
		{"bad amount", fstest.MapFS{
			"food.csv":          usdaFiles["food.csv"],
			"food_nutrient.csv": {Data: []byte("id,fdc_id,nutrient_id,amount\n1,321358,1003,7.35\n2,321358,1004,lots\n")},
		}, "food_nutrient.csv line 3: column amount"},
		{"wrong layout", fstest.MapFS{
			"food.csv":          {Data: []byte("id,name\n1,x\n")},
			"food_nutrient.csv": usdaFiles["food_nutrient.csv"],
		}, `food.csv line 1: missing column "fdc_id"`},
		{"bad fdc_id in food.csv", fstest.MapFS{
			"food.csv":          {Data: []byte("fdc_id,description\n321358,Hummus\nabc,Oops\n")},
			"food_nutrient.csv": usdaFiles["food_nutrient.csv"],
		}, "food.csv line 3: column fdc_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := seed.ImportUSDA(ctx, pool, tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
