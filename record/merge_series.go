package record

import "math"

// Every shard of a plan scrapes the same target, so their scrapes are
// readings of one set of counters at different times: merged, they make
// one chain of scrapes, as if one scraper had taken them, and the named
// series are measured again from it (Measure) over the window and per
// interval. No shard's scrapes are lost: the chain covers every second any
// shard's scrapes covered. And none is counted twice: each second is
// covered by one scrape's increases.

// chainScrapes joins the shards' scrapes (each shard's in order) into one
// chain. It starts at the earliest scrape (the lowest shard on a tie) and
// walks forward in time: the next link is, among every shard's scrapes
// after the chain's last that add more time to it than they cover again,
// the one whose increases start nearest the chain's last scrape (its own
// shard's previous scrape, SinceS), the earlier and then the lower shard
// on a tie. So the chain stays with a shard, whose next
// scrape starts exactly where its last ended, until that shard's scrapes
// stop or miss one; then it goes on with the shard whose span joins
// best.
func chainScrapes(shards [][]Scrape) []Scrape {
	const eps = 1e-9
	first, firstShard := -1, -1
	for k, ss := range shards {
		if len(ss) > 0 && (firstShard < 0 || ss[0].AtS < shards[firstShard][0].AtS) {
			first, firstShard = 0, k
		}
	}
	if firstShard < 0 {
		return nil
	}
	chain := []Scrape{shards[firstShard][first]}
	end := chain[0].AtS
	next := make([]int, len(shards)) // per shard: its first scrape after end
	for {
		best, bestShard := -1, -1
		bestDist := math.Inf(1)
		for k, ss := range shards {
			for next[k] < len(ss) && ss[next[k]].AtS <= end+eps {
				next[k]++
			}
			// The scrape right after end starts at or before it; the one
			// after that starts after it; later ones start later still.
			for j := next[k]; j < len(ss) && j <= next[k]+1; j++ {
				s := ss[j]
				if s.SinceS == nil {
					continue // a shard's first scrape: no increases
				}
				if end-*s.SinceS >= s.AtS-end {
					continue // it would count again more than it adds
				}
				d := math.Abs(*s.SinceS - end)
				if d < bestDist-eps || math.Abs(d-bestDist) <= eps && s.AtS < shards[bestShard][best].AtS-eps {
					best, bestShard, bestDist = j, k, d
				}
			}
		}
		if bestShard < 0 {
			return chain
		}
		s := shards[bestShard][best]
		chain = append(chain, s)
		end = s.AtS
	}
}
