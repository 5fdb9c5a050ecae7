package target

import (
	"context"
	"encoding/json"

	"github.com/loadgate/loadgate/target/cache"
)

// cachedJSON is the handlers' cache-aside: the JSON of key from the first
// tier of c that holds it, else load's value encoded (and filled into the
// tiers by c). hit says whether a tier held it. The cache keeps bytes, so a
// handler that answers with the value writes them as they are.
func cachedJSON[T any](ctx context.Context, c *cache.Tiered, key string, load func(context.Context) (T, error)) (body []byte, hit bool, err error) {
	return c.Get(ctx, key, func(ctx context.Context) ([]byte, error) {
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
}
