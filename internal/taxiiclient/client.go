package taxiiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// MediaType is the media type of TAXII 2.1 requests and answers.
const MediaType = "application/taxii+json;version=2.1"

// Defaults of Options.
const (
	DefaultTimeout     = 2 * time.Minute
	DefaultMaxResponse = 64 << 20
)

// Options configure a Client. The zero value sends no credentials and
// uses the defaults.
type Options struct {
	// Token, when set, is sent as "Authorization: Bearer TOKEN" (a
	// Concord API token, or another server's bearer token).
	Token string
	// User and Password, when User is set, are sent with HTTP Basic.
	User, Password string
	// CAFile names a PEM file of certificates trusted in addition to the
	// system's, for a partner whose server has a private CA.
	CAFile string
	// Timeout bounds each request, answer included; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxResponse bounds the size of one answer in bytes; 0 means
	// DefaultMaxResponse.
	MaxResponse int64
	// Transport, when set, replaces the HTTP transport (CAFile is then
	// ignored).
	Transport http.RoundTripper
}

// Client sends TAXII 2.1 requests. It is safe for concurrent use.
type Client struct {
	hc   *http.Client
	opts Options
}

// New returns a client for opts. It fails when the CA file cannot be read
// or holds no certificate, or when both a token and a user are given.
func New(opts Options) (*Client, error) {
	if opts.Token != "" && opts.User != "" {
		return nil, errors.New("taxiiclient: give either a token or a user name and password, not both")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = DefaultMaxResponse
	}
	rt := opts.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.CAFile != "" {
			pem, err := os.ReadFile(opts.CAFile)
			if err != nil {
				return nil, fmt.Errorf("taxiiclient: CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("taxiiclient: CA file %s holds no PEM certificate", opts.CAFile)
			}
			t.TLSClientConfig.RootCAs = pool
		}
		rt = t
	}
	hc := &http.Client{
		Transport: rt,
		Timeout:   opts.Timeout,
		// Credentials go to the server named, not to wherever it
		// redirects: a redirect to another host is followed without them.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				req.Header.Del("Authorization")
			}
			return nil
		},
	}
	return &Client{hc: hc, opts: opts}, nil
}

// Error is an answer other than 200 OK: its status, and the TAXII error
// message when the server sent one.
type Error struct {
	URL    string
	Status int
	// Title and Description are the server's error message, if any.
	Title, Description string
}

func (e *Error) Error() string {
	var hint string
	switch e.Status {
	case http.StatusUnauthorized:
		hint = "the server did not accept the credentials: check the token or the user name and password"
	case http.StatusForbidden:
		hint = "the credentials are valid but may not read this: ask the partner for read access to the collection"
	case http.StatusNotFound:
		hint = "no such API root, collection or object: check the URL (list the collections with discovery)"
	case http.StatusNotAcceptable:
		hint = "the server does not answer TAXII 2.1 (" + MediaType + ")"
	default:
		hint = http.StatusText(e.Status)
	}
	msg := fmt.Sprintf("taxiiclient: GET %s: %d: %s", e.URL, e.Status, hint)
	if e.Title != "" || e.Description != "" {
		msg += fmt.Sprintf(" (server: %s)", strings.Trim(e.Title+": "+e.Description, ": "))
	}
	return msg
}

// get fetches u and returns the body of a TAXII answer; the answer's
// headers are returned too.
func (c *Client) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("taxiiclient: %w", err)
	}
	req.Header.Set("Accept", MediaType)
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.User != "":
		req.SetBasicAuth(c.opts.User, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error names the URL, never the Authorization header.
		return nil, nil, fmt.Errorf("taxiiclient: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("taxiiclient: GET %s: reading the answer: %w", u, err)
	}
	if int64(len(body)) > c.opts.MaxResponse {
		return nil, nil, fmt.Errorf("taxiiclient: GET %s: the answer is larger than %d bytes; ask for smaller pages (limit)", u, c.opts.MaxResponse)
	}
	taxiiJSON := isTAXII(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		e := &Error{URL: u, Status: resp.StatusCode}
		if taxiiJSON {
			var m struct{ Title, Description string }
			if json.Unmarshal(body, &m) == nil {
				e.Title, e.Description = truncate(m.Title, 200), truncate(m.Description, 400)
			}
		}
		return nil, nil, e
	}
	if !taxiiJSON {
		return nil, nil, fmt.Errorf("taxiiclient: GET %s: not a TAXII 2.1 answer (Content-Type %q): is the URL a TAXII server's?", u, truncate(resp.Header.Get("Content-Type"), 80))
	}
	return body, resp.Header, nil
}

// isTAXII reports whether a Content-Type is TAXII 2.1 JSON: the TAXII
// media type without a version or at 2.1, or plain JSON, which some
// servers send for it.
func isTAXII(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/taxii+json":
		v, ok := params["version"]
		return !ok || v == "2.1"
	case "application/json":
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// getJSON fetches u and decodes the TAXII answer into v.
func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	body, _, err := c.get(ctx, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("taxiiclient: GET %s: not a TAXII 2.1 resource: %v", u, err)
	}
	return nil
}

// Dir returns u with exactly one trailing slash, as TAXII URLs end.
func Dir(u string) string { return strings.TrimRight(u, "/") + "/" }

// CheckURL checks that u is an absolute http or https URL without
// credentials in it: they belong in files, not in command lines and
// process listings.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("taxiiclient: bad URL: %w", err)
	}
	if p.Scheme != "https" && p.Scheme != "http" || p.Host == "" {
		return fmt.Errorf("taxiiclient: %q is not an http or https URL", u)
	}
	if p.User != nil {
		return errors.New("taxiiclient: the URL carries credentials; give them in a token or password file instead")
	}
	return nil
}
