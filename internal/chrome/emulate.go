package chrome

import (
	"context"
	"encoding/json"
	"fmt"
)

// SetViewport makes the page lay out as on a screen of width×height CSS pixels (device scale
// 1; mobile sets a phone's viewport rules), as Emulation.setDeviceMetricsOverride does.
func (p *Page) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	_, err := p.conn.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
	})
	if err != nil {
		return fmt.Errorf("chrome: set viewport %dx%d: %w", width, height, err)
	}
	return nil
}

// EmulateMedia sets the CSS media type the page sees: "print", "screen", or "" for the default.
func (p *Page) EmulateMedia(ctx context.Context, media string) error {
	if _, err := p.conn.call(ctx, "Emulation.setEmulatedMedia", map[string]any{"media": media}); err != nil {
		return fmt.Errorf("chrome: emulate media %q: %w", media, err)
	}
	return nil
}

// FullScreenshot captures the whole page, beyond the viewport, as PNG.
func (p *Page) FullScreenshot(ctx context.Context) ([]byte, error) {
	res, err := p.conn.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		return nil, fmt.Errorf("chrome: full screenshot: %w", err)
	}
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, fmt.Errorf("chrome: full screenshot: %w", err)
	}
	return r.Data, nil
}

// PrintToPDF prints the page as the browser's print dialog would (A4, print media, the page's
// own @page margins, background graphics off as by default) and returns the PDF.
func (p *Page) PrintToPDF(ctx context.Context) ([]byte, error) {
	res, err := p.conn.call(ctx, "Page.printToPDF", map[string]any{
		"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": false, "preferCSSPageSize": true,
	})
	if err != nil {
		return nil, fmt.Errorf("chrome: print to PDF: %w", err)
	}
	var r struct {
		Data []byte `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, fmt.Errorf("chrome: print to PDF: %w", err)
	}
	return r.Data, nil
}
