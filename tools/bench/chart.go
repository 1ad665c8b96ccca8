package main

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writeChart draws the PNG: tokens/s by concurrency per scenario on the left (log-log), warm
// token latency by offered rate in the middle, blob throughput by path on the right.
func writeChart(r *report, path string) error {
	tokens, err := tokenChart(r)
	if err != nil {
		return err
	}
	latency, err := latencyChart(r)
	if err != nil {
		return err
	}
	blobs, err := blobChart(r)
	if err != nil {
		return err
	}
	img := vgimg.NewWith(vgimg.UseWH(19*vg.Inch, 5*vg.Inch), vgimg.UseDPI(100))
	dc := draw.New(img)
	// A white page: the default is transparent, unreadable on dark themes.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Inch / 2, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{{tokens, latency, blobs}}, tiles, dc)
	tokens.Draw(canvases[0][0])
	latency.Draw(canvases[0][1])
	blobs.Draw(canvases[0][2])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func tokenChart(r *report) (*plot.Plot, error) {
	p := plot.New()
	if !r.anyTokens() {
		p.Title.Text = "Tokens: not measured in this run"
		p.HideAxes()
		return p, nil
	}
	p.Title.Text = "Tokens per second by concurrent clients"
	p.X.Label.Text = "concurrent keep-alive clients"
	p.Y.Label.Text = "tokens/s (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	var ticks plot.ConstantTicks
	seen := map[int]bool{}
	for i, s := range r.Scenarios {
		var xys plotter.XYs
		for _, l := range s.Levels {
			if l.PerSecond <= 0 || l.Offered > 0 {
				continue // nothing to show on a log scale; paced rates are not capacity
			}
			xys = append(xys, plotter.XY{X: float64(l.Clients), Y: l.PerSecond})
			lo, hi = min(lo, l.PerSecond), max(hi, l.PerSecond)
			if !seen[l.Clients] {
				seen[l.Clients] = true
				ticks = append(ticks, plot.Tick{Value: float64(l.Clients), Label: fmt.Sprint(l.Clients)})
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		line.Width = vg.Points(2)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(s.Name, line, points)
	}
	if len(ticks) == 0 {
		// Only paced levels ran (-scenarios burst, say): they measure latency, not capacity.
		p = plot.New()
		p.Title.Text = "Tokens: no unpaced level in this run"
		p.HideAxes()
		return p, nil
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = ticks[0].Value/1.3, ticks[len(ticks)-1].Value*1.3
	xmin, xmax := p.X.Min, p.X.Max
	reference := func(y float64, label string, c color.Color) error {
		if y <= 0 || xmax <= xmin {
			return nil
		}
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: y}, {X: xmax, Y: y}})
		if err != nil {
			return err
		}
		l.Color, l.Dashes = c, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(label, l)
		lo, hi = min(lo, y), max(hi, y)
		return nil
	}
	if r.Bcrypt != nil {
		if err := reference(r.Bcrypt.Limit, fmt.Sprintf("bcrypt limit (%.0f/s)", r.Bcrypt.Limit), color.Gray{Y: 110}); err != nil {
			return nil, err
		}
	}
	if err := reference(targetWarmPerSecond, "warm target at 64 clients", color.RGBA{R: 200, A: 255}); err != nil {
		return nil, err
	}
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*3))) // headroom for the legend
	return p, nil
}

// latencyChart draws p50 and p99 of the warm tokens against the rate the paced clients offered
// (the median window of each rate), with the latency target.
func latencyChart(r *report) (*plot.Plot, error) {
	p := plot.New()
	var rates []float64
	for _, s := range r.Scenarios {
		if s.Name != scWarm {
			continue
		}
		for _, l := range s.Levels {
			if l.Offered > 0 && !slices.Contains(rates, l.Offered) {
				rates = append(rates, l.Offered)
			}
		}
	}
	var paced []levelResult
	for _, rate := range rates {
		if l, ok := r.pacedLevel(scWarm, rate, 0); ok {
			paced = append(paced, l.levelResult)
		}
	}
	if len(paced) == 0 {
		p.Title.Text = "Token latency: not measured in this run"
		p.HideAxes()
		return p, nil
	}
	slices.SortFunc(paced, func(a, b levelResult) int { return cmp.Compare(a.Offered, b.Offered) })
	p.Title.Text = fmt.Sprintf("Warm token latency, %d clients paced to a rate", paced[0].Clients)
	p.X.Label.Text = "tokens/s offered"
	p.Y.Label.Text = "ms"
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	top := float64(targetWarmP99) / float64(time.Millisecond)
	for i, q := range []struct {
		name string
		of   func(levelResult) time.Duration
	}{
		{"p50", func(l levelResult) time.Duration { return l.P50 }},
		{"p99", func(l levelResult) time.Duration { return l.P99 }},
	} {
		xys := make(plotter.XYs, len(paced))
		for j, l := range paced {
			ms := float64(q.of(l)) / float64(time.Millisecond)
			xys[j] = plotter.XY{X: l.Offered, Y: ms}
			top = max(top, ms)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(i)
		points.Color, points.Shape = line.Color, plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(q.name, line, points)
	}
	ms := float64(targetWarmP99) / float64(time.Millisecond)
	target, err := plotter.NewLine(plotter.XYs{{X: paced[0].Offered, Y: ms}, {X: paced[len(paced)-1].Offered, Y: ms}})
	if err != nil {
		return nil, err
	}
	target.Color, target.Dashes = color.RGBA{R: 200, A: 255}, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(target)
	p.Legend.Add(fmt.Sprintf("p99 target (%s)", targetWarmP99), target)
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, top*1.4 // headroom for the legend
	return p, nil
}

func blobChart(r *report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Blob throughput by path (median)"
	p.Y.Label.Text = "MB/s"
	p.Legend.Top, p.Legend.Left = true, true
	// Groups on the x axis are (direction, size); bars within a group are the paths.
	type group struct {
		op   string
		size int64
	}
	var groups []group
	var paths []blobPath
	seenGroup, seenPath := map[group]bool{}, map[string]bool{}
	for _, b := range r.Blobs {
		g := group{b.Op, b.Size}
		if !seenGroup[g] {
			seenGroup[g] = true
			groups = append(groups, g)
		}
		if k := b.Path + b.Proto; !seenPath[k] {
			seenPath[k] = true
			paths = append(paths, blobPath{Key: b.Path, Label: b.Label, Proto: b.Proto})
		}
	}
	if len(groups) == 0 {
		p.Title.Text = "Blob throughput: not measured in this run"
		p.HideAxes()
		return p, nil
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.op + " " + sizeLabel(g.size)
	}
	width := vg.Points(10)
	top := 0.0
	for i, path := range paths {
		values := make(plotter.Values, len(groups))
		for j, g := range groups {
			if b := r.blob(path.Key, path.Proto, g.size, g.op); b != nil {
				values[j] = b.Median()
				top = max(top, values[j])
			}
		}
		bars, err := plotter.NewBarChart(values, width)
		if err != nil {
			return nil, err
		}
		bars.Color = pathColor(path)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(len(paths)-1)/2)
		p.Add(bars)
		p.Legend.Add(path.Name(), bars)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	p.Y.Min, p.Y.Max = 0, top*1.6 // headroom for the legend
	p.Y.Tick.Marker = roundTicks{}
	return p, nil
}

// anyTokens reports whether some scenario measured a rate a log scale can show.
func (r *report) anyTokens() bool {
	for _, s := range r.Scenarios {
		for _, l := range s.Levels {
			if l.PerSecond > 0 {
				return true
			}
		}
	}
	return false
}

// pathColor gives each kind of path its hue (Okabe-Ito, readable with colour blindness): blues
// for the registry alone, orange for regauth in upstream mode, green for regauth with the
// embedded registry, purple for Apache, and ochre (outside the palette, which has no hue
// left that reads on white) for the bare Go proxy; HTTP/2 is the lighter shade.
func pathColor(p blobPath) color.Color {
	hex := map[string][2]uint32{
		pathDirectTLS:   {0x0072B2, 0x56B4E9},
		pathDirectPlain: {0x999999, 0xBBBBBB},
		pathFront:       {0xD55E00, 0xE69F00},
		pathEmbedded:    {0x009E73, 0x7FCDB8},
		pathApache:      {0xCC79A7, 0xE3B5D0},
		pathBareProxy:   {0xB8860B, 0xE0C068},
	}[p.Key]
	v := hex[0]
	if p.Proto == protoH2 {
		v = hex[1]
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// roundTicks labels a linear axis in steps of 1, 2 or 5 times a power of ten, five to seven
// labels, printed without decimals.
type roundTicks struct{}

func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return nil
	}
	want := (hi - lo) / 6
	step := math.Pow(10, math.Floor(math.Log10(want)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*step >= want {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
	}
	return ticks
}
