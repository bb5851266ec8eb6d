package train

import (
	"bytes"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// vgimgCanvas renders plots side by side into PNG bytes.
func vgimgCanvas(plots ...*plot.Plot) []byte {
	const w, h = 6 * vg.Inch, 4 * vg.Inch
	c := vgimg.New(w*vg.Length(len(plots)), h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	var b bytes.Buffer
	vgimg.PngCanvas{Canvas: c}.WriteTo(&b)
	return b.Bytes()
}
