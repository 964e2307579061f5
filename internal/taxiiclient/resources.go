package taxiiclient

import (
	"context"
	"fmt"
	"net/url"
)

// Discovery is a server's discovery resource (GET /taxii2/).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Default     string   `json:"default"`
	APIRoots    []string `json:"api_roots"`
}

// APIRoot is an API root's information resource.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is a collection resource: what the caller may do with it.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Alias       string   `json:"alias"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// Discover reads the discovery resource at u (a server's /taxii2/). The
// API roots it lists are made absolute against u.
func (c *Client) Discover(ctx context.Context, u string) (Discovery, error) {
	var d Discovery
	u = Dir(u)
	if err := c.getJSON(ctx, u, &d); err != nil {
		return d, err
	}
	base, err := url.Parse(u)
	if err != nil {
		return d, fmt.Errorf("taxiiclient: %w", err)
	}
	abs := func(s string) string {
		r, err := base.Parse(s)
		if err != nil {
			return s
		}
		return Dir(r.String())
	}
	for i, r := range d.APIRoots {
		d.APIRoots[i] = abs(r)
	}
	if d.Default != "" {
		d.Default = abs(d.Default)
	}
	return d, nil
}

// APIRoot reads the information resource of the API root at u.
func (c *Client) APIRoot(ctx context.Context, u string) (APIRoot, error) {
	var r APIRoot
	err := c.getJSON(ctx, Dir(u), &r)
	return r, err
}

// Collections lists the collections of the API root at u that the caller
// may see.
func (c *Client) Collections(ctx context.Context, u string) ([]Collection, error) {
	body, _, err := c.get(ctx, Dir(u)+"collections/")
	if err != nil {
		return nil, err
	}
	cs, err := decodeCollections(body)
	if err != nil {
		return nil, fmt.Errorf("taxiiclient: GET %scollections/: %w", Dir(u), err)
	}
	return cs, nil
}

// Collection reads the collection resource at u (an API root's
// collections/ID/).
func (c *Client) Collection(ctx context.Context, u string) (Collection, error) {
	var col Collection
	if err := c.getJSON(ctx, Dir(u), &col); err != nil {
		return col, err
	}
	if col.ID == "" {
		return col, fmt.Errorf("taxiiclient: GET %s: not a TAXII collection (no id)", Dir(u))
	}
	return col, nil
}
