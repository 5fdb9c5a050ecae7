package report

// bucketSize returns how many consecutive points to fold into one drawn
// point so that n points become at most maxPoints.
func bucketSize(n, maxPoints int) int {
	if maxPoints <= 0 || n <= maxPoints {
		return 1
	}
	return (n + maxPoints - 1) / maxPoints
}

// downsampleIntervals folds each bucket of intervals into one point placed
// at the bucket's first second; every percentile keeps the bucket's worst
// value, so a one-second stall still shows on an hour-long chart.
func downsampleIntervals(ivs []interval, maxPoints int) []interval {
	k := bucketSize(len(ivs), maxPoints)
	if k == 1 {
		return ivs
	}
	out := make([]interval, 0, (len(ivs)+k-1)/k)
	for i := 0; i < len(ivs); i += k {
		b := ivs[i]
		for _, iv := range ivs[i+1 : min(i+k, len(ivs))] {
			b.Count += iv.Count
			b.P50, b.P90, b.P95 = max(b.P50, iv.P50), max(b.P90, iv.P90), max(b.P95, iv.P95)
			b.P99, b.P999, b.Max = max(b.P99, iv.P99), max(b.P999, iv.P999), max(b.Max, iv.Max)
		}
		out = append(out, b)
	}
	return out
}

// xy is one drawn point.
type xy struct{ X, Y float64 }

// downsampleMean folds each bucket of points into their mean, at the
// bucket's first x: right for rates and gauges.
func downsampleMean(pts []xy, maxPoints int) []xy {
	k := bucketSize(len(pts), maxPoints)
	if k == 1 {
		return pts
	}
	out := make([]xy, 0, (len(pts)+k-1)/k)
	for i := 0; i < len(pts); i += k {
		end := min(i+k, len(pts))
		sum := 0.0
		for _, p := range pts[i:end] {
			sum += p.Y
		}
		out = append(out, xy{pts[i].X, sum / float64(end-i)})
	}
	return out
}
