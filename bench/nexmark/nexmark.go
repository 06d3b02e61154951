// Package nexmark generates the events of the Nexmark benchmark (an
// online auction: people register, open auctions and bid), in the shape
// Flink's nexmark project gives its person, auction and bid views, with a
// fixed seed so a test or a benchmark run sees the same events every time.
//
// The proportions follow Nexmark's (of every 50 events, 1 person, 3
// auctions and 46 bids); bids go mostly to recent auctions, a quarter of
// them to a few hot ones, so joins, top-N and windows have work to do.
// Times are evenly spaced (Config.Every) from Config.Start and written as
// Flink prints a TIMESTAMP(3): 'YYYY-MM-DD HH:MM:SS.mmm', in UTC.
package nexmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// Config says how many events to make and how they are spaced.
type Config struct {
	Events int
	Start  time.Time
	Every  time.Duration
	Seed   uint64
}

// Person is a registered user.
type Person struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	EmailAddress string `json:"emailAddress"`
	CreditCard   string `json:"creditCard"`
	City         string `json:"city"`
	State        string `json:"state"`
	DateTime     string `json:"dateTime"`
	Extra        string `json:"extra"`
}

// Auction is an item put up for sale by a person (Seller) until Expires.
type Auction struct {
	ID          int64  `json:"id"`
	ItemName    string `json:"itemName"`
	Description string `json:"description"`
	InitialBid  int64  `json:"initialBid"`
	Reserve     int64  `json:"reserve"`
	DateTime    string `json:"dateTime"`
	Expires     string `json:"expires"`
	Seller      int64  `json:"seller"`
	Category    int64  `json:"category"`
	Extra       string `json:"extra"`
}

// Bid is a person's (Bidder's) offer on an auction.
type Bid struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	Channel  string `json:"channel"`
	URL      string `json:"url"`
	DateTime string `json:"dateTime"`
	Extra    string `json:"extra"`
}

// Event is one of the three, with its time; exactly one of Person,
// Auction and Bid is set.
type Event struct {
	Time    time.Time
	Person  *Person
	Auction *Auction
	Bid     *Bid
}

// JSON is the event's record as one JSON object.
func (e Event) JSON() []byte {
	var v any = e.Bid
	switch {
	case e.Person != nil:
		v = e.Person
	case e.Auction != nil:
		v = e.Auction
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // URLs keep their &
	enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Layout is how event times are written.
const Layout = "2006-01-02 15:04:05.000"

const firstID = 1000

var (
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	cities     = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	states     = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	channels   = []string{"Google", "Facebook", "Baidu", "Apple"}
	words      = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
)

// Generate makes the events, in time order.
func Generate(c Config) []Event {
	r := rand.New(rand.NewPCG(c.Seed, 0x6e65786d61726b))
	var out []Event
	persons, auctions := int64(0), int64(0)
	for i := 0; i < c.Events; i++ {
		t := c.Start.Add(time.Duration(i) * c.Every)
		ts := t.UTC().Format(Layout)
		extra := extraOf(r)
		switch n := i % 50; {
		case n == 0 || persons == 0:
			id := firstID + persons
			persons++
			out = append(out, Event{Time: t, Person: &Person{
				ID: id, Name: firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
				EmailAddress: fmt.Sprintf("%s@%s.com", words[r.IntN(len(words))], words[r.IntN(len(words))]),
				CreditCard:   fmt.Sprintf("%04d %04d %04d %04d", r.IntN(10000), r.IntN(10000), r.IntN(10000), r.IntN(10000)),
				City:         cities[r.IntN(len(cities))], State: states[r.IntN(len(states))], DateTime: ts, Extra: extra}})
		case n <= 3 || auctions == 0:
			id := firstID + auctions
			auctions++
			initial := int64(1 + r.IntN(1000))
			out = append(out, Event{Time: t, Auction: &Auction{
				ID: id, ItemName: words[r.IntN(len(words))] + " " + words[r.IntN(len(words))], Description: extra,
				InitialBid: initial, Reserve: initial + int64(r.IntN(5000)), DateTime: ts,
				Expires: t.Add(time.Duration(2+r.IntN(20)) * time.Second).UTC().Format(Layout),
				Seller:  firstID + recent(r, persons), Category: int64(10 + r.IntN(5)), Extra: extra}})
		default:
			auction := firstID + recent(r, auctions)
			if r.IntN(4) == 0 {
				auction = firstID + (auctions-1)/10*10 // a hot auction
			}
			ch := channels[r.IntN(len(channels))]
			if r.IntN(3) == 0 {
				ch = fmt.Sprintf("channel-%d", r.IntN(100))
			}
			url := fmt.Sprintf("https://www.nexmark.com/%s/%s/%s/item.htm?query=1", words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
			if r.IntN(10) > 0 {
				url += fmt.Sprintf("&channel_id=%d", r.IntN(1000))
			}
			out = append(out, Event{Time: t, Bid: &Bid{
				Auction: auction, Bidder: firstID + recent(r, persons), Price: price(r),
				Channel: ch, URL: url, DateTime: ts, Extra: extra}})
		}
	}
	return out
}

// recent picks one of the n ids made so far, mostly among the last ones.
func recent(r *rand.Rand, n int64) int64 {
	if n <= 1 {
		return 0
	}
	back := int64(r.ExpFloat64() * 8)
	if back >= n {
		back = r.Int64N(n)
	}
	return n - 1 - back
}

// price spreads bids over the ranges Nexmark's reports count apart
// (below 10 000, below 1 000 000, above).
func price(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return int64(1 + r.IntN(9999))
	case 1, 2:
		return int64(10000 + r.IntN(990000))
	}
	return int64(1000000 + r.IntN(50000000))
}

// extraOf is a short filler text (Nexmark pads its records with one).
func extraOf(r *rand.Rand) string {
	b := make([]byte, 4+r.IntN(8))
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz"[r.IntN(26)]
	}
	return string(b)
}
