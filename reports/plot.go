package reports

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/sgdclaims/sgdclaims/claims"
	"github.com/sgdclaims/sgdclaims/internal/atomicfile"
)

// Plot size: wide enough for a legend beside the data at 100% zoom.
// The legend goes in a column of its own to the right, legendGap from the
// axes.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 11 * vg.Centimeter
	legendGap  = 0.6 * vg.Centimeter
)

// Rendered is a drawn plot and what had to be left out to draw it.
type Rendered struct {
	Plot *plot.Plot
	// Dropped counts points that cannot be drawn: NaN, or not positive on a
	// log axis. Reports add the count to the caption.
	Dropped int
	// Clipped counts error bars whose lower end was not positive on a log
	// axis and was cut at the plot's bottom.
	Clipped int
}

// Render draws p with gonum/plot: points with one glyph and colour per
// series, lines for Line series, 95%-interval error bars where YLo/YHi are
// set, reference series dashed, log axes with log ticks, and a legend.
func Render(p claims.Plot) (*Rendered, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = wrapAxisLabel(p.YLabel)
	pl.Add(plotter.NewGrid())
	if p.LogX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	r := &Rendered{Plot: pl}
	// The lowest drawable y, for clipping error bars on a log axis.
	floor := math.Inf(1)
	for _, s := range p.Series {
		for _, y := range s.Y {
			if y > 0 {
				floor = math.Min(floor, y)
			}
		}
	}
	floor /= 3
	measured := 0
	for i, s := range p.Series {
		var xy plotter.XYs
		var lo, hi []float64
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (p.LogX && x <= 0) || (p.LogY && y <= 0) {
				r.Dropped++
				continue
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
			if s.YLo != nil && s.YHi != nil {
				l, h := s.YLo[j], s.YHi[j]
				if math.IsNaN(l) || math.IsNaN(h) {
					l, h = y, y
				}
				if p.LogY && l <= 0 {
					l = math.Min(floor, y)
					r.Clipped++
				}
				lo, hi = append(lo, l), append(hi, h)
			}
		}
		if len(xy) == 0 {
			continue
		}
		col := seriesColor(s, &measured)
		var thumbs []plot.Thumbnailer
		if s.Kind == claims.Line || s.Kind == claims.LinePoints {
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %s, series %q: %w", p.Name, s.Label, err)
			}
			l.Color = col
			l.Width = vg.Points(1.5)
			if s.Reference {
				l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			pl.Add(l)
			thumbs = append(thumbs, l)
		}
		if s.Kind == claims.Points || s.Kind == claims.LinePoints {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %s, series %q: %w", p.Name, s.Label, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: plotutil.Shape(i)}
			pl.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if lo != nil {
			eb, err := plotter.NewYErrorBars(errorBars{xy: xy, lo: lo, hi: hi})
			if err != nil {
				return nil, fmt.Errorf("plot %s, series %q: error bars: %w", p.Name, s.Label, err)
			}
			eb.Color = col
			eb.Width = vg.Points(1)
			pl.Add(eb)
		}
		pl.Legend.Add(s.Label, thumbs...)
	}
	return r, nil
}

// seriesColor applies claims.Series.Color's rule.
func seriesColor(s claims.Series, measured *int) color.Color {
	switch {
	case s.Color > 0:
		return plotutil.Color(s.Color - 1)
	case s.Color < 0 || s.Reference:
		return color.Black
	}
	c := plotutil.Color(*measured)
	*measured++
	return c
}

// errorBars adapts absolute interval bounds to plotter's relative YErrorer.
type errorBars struct {
	xy     plotter.XYs
	lo, hi []float64
}

func (e errorBars) Len() int                    { return len(e.xy) }
func (e errorBars) XY(i int) (float64, float64) { return e.xy[i].X, e.xy[i].Y }
func (e errorBars) YError(i int) (float64, float64) {
	return e.xy[i].Y - e.lo[i], e.hi[i] - e.xy[i].Y
}

// SavePlot renders p to dir/<name>.png and dir/<name>.svg (atomically) and
// returns the rendering's record of dropped points. The legend is drawn in
// a column to the right of the axes, so it never hides data.
func SavePlot(dir string, p claims.Plot) (*Rendered, error) {
	r, err := Render(p)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, ext := range []string{"png", "svg"} {
		path := filepath.Join(dir, p.Name+"."+ext)
		if err := atomicfile.Write(path, 0o644, func(f *os.File) error { return writePlot(r.Plot, ext, f) }); err != nil {
			return nil, fmt.Errorf("plot %s: %w", p.Name, err)
		}
	}
	return r, nil
}

// writePlot draws pl with its legend beside the axes and encodes it.
func writePlot(pl *plot.Plot, ext string, w io.Writer) error {
	leg := pl.Legend
	leg.Top, leg.Left = true, true
	// Measure the legend on a scratch canvas; the figure grows by its width
	// so the data area keeps plotWidth.
	lw := leg.Rectangle(draw.New(vgimg.New(plotWidth, plotHeight))).Size().X + legendGap
	width := plotWidth + lw
	var canvas interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch ext {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(width, plotHeight)}
	case "svg":
		canvas = vgsvg.New(width, plotHeight)
	default:
		return fmt.Errorf("unknown image format %q", ext)
	}
	dc := draw.New(canvas)
	pl.Legend = plot.NewLegend() // the plot itself draws no legend
	pl.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	pl.Legend = leg
	leg.Draw(draw.Crop(dc, plotWidth+legendGap/2, 0, 0, -legendGap))
	_, err := canvas.WriteTo(w)
	return err
}

// wrapAxisLabel puts the units of a long y-axis label ("what  (units)") on a
// second line: written vertically, a label longer than about 45 characters
// does not fit the plot's height and would be clipped at both ends.
func wrapAxisLabel(label string) string {
	const fits = 45
	if len(label) <= fits {
		return label
	}
	if i := strings.LastIndex(label, "  ("); i > 0 {
		return label[:i] + "\n" + label[i+2:]
	}
	return label
}
