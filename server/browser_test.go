package server

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamsql/streamsql/clock"
)

// chromium finds a Chromium to drive. Without one the browser test is
// skipped, except under CI or STREAMSQL_REQUIRE_BROWSER=1, where it fails
// (test.sh installs Debian's chromium when missing).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" || os.Getenv("STREAMSQL_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium found, and CI or STREAMSQL_REQUIRE_BROWSER=1 requires the browser test (apt-get install chromium)")
	}
	t.Skip("no chromium found; set STREAMSQL_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// TestDashboardInBrowser opens the dashboard in headless Chromium, submits
// a query through its form, feeds rows, and waits for the page's table
// and counters to show them.
func TestDashboardInBrowser(t *testing.T) {
	path := chromium(t)
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	// As --http serves it: with a token, which the page gets from the
	// printed URL and keeps in a cookie for its requests and streams.
	const token = "browser-test-token"
	srv, ts := newTestServer(t, fake, func(s *Server) {
		s.Token = token
		s.Hosts = HostsFor("127.0.0.1")
	})
	src, err := srv.eng.NewPushSource("srv_browser", "page TEXT")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	// Without the token the page says how to sign in.
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#query-form"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#conn")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(conn, "not signed in") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("without a token the page shows %q", conn)
		}
	}

	const sql = "SELECT page, COUNT(*) AS views FROM srv_browser() GROUP BY page ORDER BY views DESC, page"
	if err := chromedp.Do(bctx,
		chromedp.Navigate(ts.URL+"/?token="+token),
		chromedp.WaitVisible(chromedp.CSS("#query-form")),
		chromedp.SendKeys(chromedp.CSS("#sql"), sql),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.WaitVisible(chromedp.CSS("article.query")),
	); err != nil {
		t.Fatal(err)
	}
	if formErr, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#form-error"))); formErr != "" {
		t.Fatalf("the form reported: %s", formErr)
	}

	for _, p := range []string{"/home", "/docs", "/home", "/blog", "/home", "/docs"} {
		if err := src.Push(p); err != nil {
			t.Fatal(err)
		}
	}
	fake.Advance(time.Second)

	// (quality 100 makes a PNG.)
	// What the page shows: table text, rows in, rows out, bars drawn.
	const show = `(() => {
		const q = document.querySelector("article.query");
		return [q.querySelector("table.result tbody").innerText.trim(),
			q.querySelector(".rows-in").textContent,
			q.querySelector(".rows-out").textContent,
			String(q.querySelectorAll("svg.bars rect.bar").length)].join("|");
	})()`
	const want = "/home\t3\n/docs\t2\n/blog\t1|6|3|3"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[string](show))
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page shows %q (table|rows in|rows out|bars), want %q", got, want)
		}
	}

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp("", "streamsql-dashboard-*.png")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(png)
	f.Close()
	t.Logf("dashboard screenshot: %s", f.Name())

	// Stopping from the page ends the query.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("article.query button.stop"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		state, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("article.query .state")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(state, "stopped") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state shown after Stop: %q", state)
		}
	}

	// A materialized view made from the page is listed with its rows.
	vsrc, err := srv.eng.NewPushSource("srv_bview", "page TEXT")
	if err != nil {
		t.Fatal(err)
	}
	defer vsrc.Close()
	if err := chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS("#sql"), "CREATE MATERIALIZED VIEW hits AS SELECT page, COUNT(*) AS n FROM srv_bview() GROUP BY page"),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.WaitVisible(chromedp.CSS("#views")),
	); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/a", "/b", "/a"} {
		if err := vsrc.Push(p); err != nil {
			t.Fatal(err)
		}
	}
	fake.Advance(time.Second)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#views tbody").innerText.trim()`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(got, "hits\tpage TEXT, n BIGINT\tpage\t2\t") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the views table shows %q", got)
		}
	}
}
