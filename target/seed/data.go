package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Random streams, one per table.
const (
	streamUsers uint64 = iota + 1
	streamMemories
	streamXP
	streamFoods
	streamMessages
)

var firstNames = []string{"Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
	"Kira", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe"}
var lastNames = []string{"Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski", "Moreau",
	"Lindqvist", "Rossi", "Nguyen", "Garcia", "Ivanova", "Mensah", "Brennan", "Costa"}

func copyUsers(ctx context.Context, tx pgx.Tx, o Options) error {
	r := rng(o, streamUsers)
	return copyRows(ctx, tx, "users", []string{"id", "name", "email", "created_at"}, o.Users, func(i int) []any {
		id := int64(i + 1)
		name := firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
		created := Epoch.Add(-historySpan - time.Duration(r.IntN(365*24))*time.Hour)
		return []any{id, name, fmt.Sprintf("user%d@example.test", id), created}
	})
}

var (
	goals = []string{"lose 5 kg before summer", "run a half marathon in under two hours", "eat 120 g of protein a day",
		"cut down on sugar", "build muscle with three gym sessions a week", "drink two litres of water daily",
		"keep dinner under 700 kcal", "sleep eight hours a night"}
	preferences = []string{"vegetarian", "prefers quick breakfasts", "likes spicy food", "avoids dairy",
		"trains in the morning", "dislikes mushrooms", "cooks on Sundays for the week", "loves Mediterranean food"}
	facts = []string{"allergic to peanuts", "works night shifts", "recovering from a knee injury", "has two kids",
		"commutes by bike", "lactose intolerant", "type 2 diabetes in the family", "plays football on weekends"}
)

func copyMemories(ctx context.Context, tx pgx.Tx, o Options) error {
	r := rng(o, streamMemories)
	type mem struct {
		user          int64
		kind, content string
	}
	var pending []mem
	u := 0
	next := func() (mem, bool) {
		for len(pending) == 0 {
			if u == o.Users {
				return mem{}, false
			}
			u++
			id := int64(u)
			pending = append(pending, mem{id, "profile", fmt.Sprintf("age %d, %d cm, %d kg", 18+r.IntN(50), 150+r.IntN(50), 50+r.IntN(60))})
			for range 1 + r.IntN(2) {
				pending = append(pending, mem{id, "goal", goals[r.IntN(len(goals))]})
			}
			for range 1 + r.IntN(3) {
				pending = append(pending, mem{id, "preference", preferences[r.IntN(len(preferences))]})
			}
			for range r.IntN(3) {
				pending = append(pending, mem{id, "fact", facts[r.IntN(len(facts))]})
			}
		}
		m := pending[0]
		pending = pending[1:]
		return m, true
	}
	src := pgx.CopyFromFunc(func() ([]any, error) {
		m, ok := next()
		if !ok {
			return nil, nil
		}
		return []any{m.user, m.kind, m.content, Epoch.Add(-time.Duration(r.IntN(180*24)) * time.Hour)}, nil
	})
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"memories"}, []string{"user_id", "kind", "content", "created_at"}, src)
	return err
}

func copyXP(ctx context.Context, tx pgx.Tx, o Options) error {
	r := rng(o, streamXP)
	return copyRows(ctx, tx, "user_xp", []string{"user_id", "total"}, o.Users, func(i int) []any {
		// A long tail: most users have a little XP, a few a lot.
		total := int64(r.ExpFloat64() * 400)
		return []any{int64(i + 1), total}
	})
}

// baseFoods are (name, category, kcal, protein, carbs, fat, fiber) per 100 g.
var baseFoods = []struct {
	name, category       string
	kcal, p, c, f, fiber float32
}{
	{"chicken breast", "poultry", 165, 31, 0, 3.6, 0}, {"turkey mince", "poultry", 203, 27, 0, 10, 0},
	{"salmon fillet", "fish", 208, 20, 0, 13, 0}, {"tuna", "fish", 132, 28, 0, 1.3, 0},
	{"cod", "fish", 82, 18, 0, 0.7, 0}, {"beef steak", "meat", 271, 25, 0, 19, 0},
	{"pork loin", "meat", 242, 27, 0, 14, 0}, {"egg", "eggs", 155, 13, 1.1, 11, 0},
	{"greek yogurt", "dairy", 97, 9, 3.9, 5, 0}, {"cheddar cheese", "dairy", 403, 25, 1.3, 33, 0},
	{"milk", "dairy", 61, 3.2, 4.8, 3.3, 0}, {"cottage cheese", "dairy", 98, 11, 3.4, 4.3, 0},
	{"tofu", "legumes", 76, 8, 1.9, 4.8, 0.3}, {"lentils", "legumes", 116, 9, 20, 0.4, 8},
	{"chickpeas", "legumes", 164, 8.9, 27, 2.6, 7.6}, {"black beans", "legumes", 132, 8.9, 24, 0.5, 8.7},
	{"brown rice", "grains", 123, 2.7, 26, 1, 1.6}, {"white rice", "grains", 130, 2.7, 28, 0.3, 0.4},
	{"quinoa", "grains", 120, 4.4, 21, 1.9, 2.8}, {"oats", "grains", 389, 17, 66, 7, 11},
	{"whole wheat bread", "bakery", 247, 13, 41, 3.4, 7}, {"pasta", "grains", 131, 5, 25, 1.1, 1.8},
	{"potato", "vegetables", 77, 2, 17, 0.1, 2.2}, {"sweet potato", "vegetables", 86, 1.6, 20, 0.1, 3},
	{"broccoli", "vegetables", 34, 2.8, 7, 0.4, 2.6}, {"spinach", "vegetables", 23, 2.9, 3.6, 0.4, 2.2},
	{"carrot", "vegetables", 41, 0.9, 10, 0.2, 2.8}, {"tomato", "vegetables", 18, 0.9, 3.9, 0.2, 1.2},
	{"avocado", "fruit", 160, 2, 9, 15, 7}, {"banana", "fruit", 89, 1.1, 23, 0.3, 2.6},
	{"apple", "fruit", 52, 0.3, 14, 0.2, 2.4}, {"blueberries", "fruit", 57, 0.7, 14, 0.3, 2.4},
	{"orange", "fruit", 47, 0.9, 12, 0.1, 2.4}, {"strawberries", "fruit", 32, 0.7, 7.7, 0.3, 2},
	{"almonds", "nuts", 579, 21, 22, 50, 12}, {"peanut butter", "nuts", 588, 25, 20, 50, 6},
	{"walnuts", "nuts", 654, 15, 14, 65, 6.7}, {"olive oil", "oils", 884, 0, 0, 100, 0},
	{"dark chocolate", "sweets", 546, 4.9, 61, 31, 7}, {"granola", "cereals", 471, 10, 64, 20, 7},
	{"hummus", "spreads", 166, 7.9, 14, 9.6, 6}, {"mushrooms", "vegetables", 22, 3.1, 3.3, 0.3, 1},
	{"protein shake", "supplements", 120, 24, 3, 1.5, 0.5}, {"orange juice", "drinks", 45, 0.7, 10, 0.2, 0.2},
}

var (
	foodStyles = []string{"", "organic", "grilled", "baked", "raw", "boiled", "smoked", "roasted", "steamed",
		"fried", "light", "frozen", "canned", "fresh", "spiced", "low fat", "homemade", "wholegrain"}
	foodBrands = []string{"", "", "", "Fieldstone", "Green Valley", "Nordic Table", "Sunny Farm", "Urban Pantry",
		"Blue Harbor", "Golden Mill", "Market Basket", "Pure Origin"}
	foodExtras = []string{"", "", "with herbs", "with garlic", "in brine", "unsalted", "family pack",
		"single serve", "value pack", "no added sugar", "with lemon", "classic"}
)

func copyFoods(ctx context.Context, tx pgx.Tx, o Options) error {
	r := rng(o, streamFoods)
	jitter := func(v float32) float32 { return v * (0.85 + 0.3*r.Float32()) }
	return copyRows(ctx, tx, "foods",
		[]string{"id", "name", "category", "kcal", "protein_g", "carbs_g", "fat_g", "fiber_g", "source_id"}, o.Foods,
		func(i int) []any {
			b := baseFoods[i%len(baseFoods)]
			parts := []string{foodBrands[r.IntN(len(foodBrands))], foodStyles[r.IntN(len(foodStyles))], b.name, foodExtras[r.IntN(len(foodExtras))]}
			if i < len(baseFoods) { // the plain food exists once
				parts = []string{b.name}
			}
			name := strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
			return []any{int64(i + 1), name, b.category, jitter(b.kcal), jitter(b.p), jitter(b.c), jitter(b.f), jitter(b.fiber),
				fmt.Sprintf("seed-%d", i+1)}
		})
}

var (
	questions = []string{"How much protein is in %s?", "Is %s a good snack before a run?", "Can I eat %s every day?",
		"What should I pair with %s for dinner?", "How many calories does %s have?", "I had %s for lunch, was that okay?"}
	answers = []string{"%s fits your plan well in moderate portions.", "A portion of %s gives you a steady amount of energy.",
		"Try %s with vegetables to balance the meal.", "%s is fine; watch the portion size against your goal."}
)

func copyMessages(ctx context.Context, tx pgx.Tx, o Options) error {
	r := rng(o, streamMessages)
	start := Epoch.Add(-historySpan)
	step := historySpan / time.Duration(max(o.Messages, 1))
	var user int64
	var food string
	return copyRows(ctx, tx, "messages", []string{"id", "user_id", "role", "content", "created_at"}, o.Messages,
		func(i int) []any {
			at := start.Add(time.Duration(i) * step)
			if i%2 == 0 { // a question
				user = int64(r.IntN(o.Users) + 1)
				food = baseFoods[r.IntN(len(baseFoods))].name
				return []any{int64(i + 1), user, "user", fmt.Sprintf(questions[r.IntN(len(questions))], food), at}
			}
			a := fmt.Sprintf(answers[r.IntN(len(answers))], food)
			return []any{int64(i + 1), user, "assistant", strings.ToUpper(a[:1]) + a[1:], at}
		})
}
