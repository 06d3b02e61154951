package nexmark

import (
	"regexp"
	"strings"
)

// Query is one of the Nexmark queries as streamsql runs it: Flink's
// nexmark project's SQL, only the source names and the windowing syntax
// adapted. The queries read the streams person, auction and bid, whose
// columns are Schemas'.
type Query struct {
	Name, SQL string
}

// Schemas are the columns of the three streams, in the syntax of a
// file() source's schema option or a push source.
var Schemas = map[string]string{
	"person":  "id BIGINT, name TEXT, emailAddress TEXT, creditCard TEXT, city TEXT, state TEXT, dateTime TEXT, extra TEXT",
	"auction": "id BIGINT, itemName TEXT, description TEXT, initialBid BIGINT, reserve BIGINT, dateTime TEXT, expires TEXT, seller BIGINT, category BIGINT, extra TEXT",
	"bid":     "auction BIGINT, bidder BIGINT, price BIGINT, channel TEXT, url TEXT, dateTime TEXT, extra TEXT",
}

// Queries are the Nexmark queries streamsql runs. Left out: q6 (an OVER
// aggregate over an updating input, which Flink refuses too), q10 (a file
// sink partitioned by time), q12 (processing-time windows: their answer
// depends on arrival timing) and q13 (a side input file).
var Queries = []Query{
	{"q0", `SELECT auction, bidder, price, dateTime, extra FROM bid`},
	{"q1", `SELECT auction, bidder, 0.908 * price as price, dateTime, extra FROM bid`},
	{"q2", `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0 OR MOD(auction, 7) = 0`},
	{"q3", `SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P on A.seller = P.id
WHERE A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')`},
	{"q4", `SELECT Q.category, AVG(Q.final)
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category`},
	{"q5", `SELECT AuctionBids.auction, AuctionBids.num
FROM (
    SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM bid GROUP BY auction WINDOW 10s SLIDE 2s EVENT TIME dateTime
) AS AuctionBids
JOIN (
    SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
    FROM (
        SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
        FROM bid GROUP BY auction WINDOW 10s SLIDE 2s EVENT TIME dateTime
    ) AS CountBids
    GROUP BY CountBids.starttime, CountBids.endtime
) AS MaxBids
ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime AND AuctionBids.num >= MaxBids.maxn`},
	{"q7", `SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
from bid B
JOIN (
    SELECT MAX(price) AS maxprice, window_end as dateTime
    FROM bid WINDOW 10s EVENT TIME dateTime
) B1
ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime`},
	{"q8", `SELECT P.id, P.name, P.starttime
FROM (
    SELECT id, name, window_start AS starttime, window_end AS endtime
    FROM person GROUP BY id, name WINDOW 10s EVENT TIME dateTime
) P
JOIN (
    SELECT seller, window_start AS starttime, window_end AS endtime
    FROM auction GROUP BY seller WINDOW 10s EVENT TIME dateTime
) A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime`},
	{"q9", `SELECT id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra,
    auction, bidder, price, bid_dateTime, bid_extra
FROM (
    SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS bid_extra,
        ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
)
WHERE rownum <= 1`},
	{"q11", `SELECT B.bidder, count(*) as bid_count, window_start AS starttime, window_end AS endtime
FROM bid B
GROUP BY B.bidder WINDOW SESSION 10s EVENT TIME B.dateTime`},
	{"q14", `SELECT auction, bidder, 0.908 * price as price,
    CASE
        WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
        WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
        ELSE 'otherTime'
    END AS bidTimeType,
    dateTime, extra, count_char(extra, 'c') AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000`},
	{"q15", `SELECT
     DATE_FORMAT(dateTime, 'yyyy-MM-dd') as ` + "`day`" + `,
     count(*) AS total_bids,
     count(*) filter (where price < 10000) AS rank1_bids,
     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
     count(*) filter (where price >= 1000000) AS rank3_bids,
     count(distinct bidder) AS total_bidders,
     count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
     count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
     count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
     count(distinct auction) AS total_auctions,
     count(distinct auction) filter (where price < 10000) AS rank1_auctions,
     count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,
     count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
FROM bid
GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd')`},
	{"q16", `SELECT
    channel,
    DATE_FORMAT(dateTime, 'yyyy-MM-dd') as ` + "`day`" + `,
    max(DATE_FORMAT(dateTime, 'HH:mm')) as ` + "`minute`" + `,
    count(*) AS total_bids,
    count(*) filter (where price < 10000) AS rank1_bids,
    count(*) filter (where price >= 1000000) AS rank3_bids,
    count(distinct bidder) AS total_bidders,
    count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
    count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
FROM bid
GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')`},
	{"q17", `SELECT
     auction,
     DATE_FORMAT(dateTime, 'yyyy-MM-dd') as ` + "`day`" + `,
     count(*) AS total_bids,
     count(*) filter (where price < 10000) AS rank1_bids,
     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
     count(*) filter (where price >= 1000000) AS rank3_bids,
     min(price) AS min_price,
     max(price) AS max_price,
     avg(price) AS avg_price,
     sum(price) AS sum_price
FROM bid
GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd')`},
	{"q18", `SELECT auction, bidder, price, channel, url, dateTime, extra
 FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
       FROM bid)
 WHERE rank_number <= 1`},
	{"q19", `SELECT * FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10`},
	{"q20", `SELECT
    auction, bidder, price, channel, url, B.dateTime, B.extra,
    itemName, description, initialBid, reserve, A.dateTime, expires, seller, category, A.extra
FROM
    bid AS B INNER JOIN auction AS A on B.auction = A.id
WHERE A.category = 10`},
	{"q21", `SELECT
    auction, bidder, price, channel,
    CASE
        WHEN lower(channel) = 'apple' THEN '0'
        WHEN lower(channel) = 'google' THEN '1'
        WHEN lower(channel) = 'facebook' THEN '2'
        WHEN lower(channel) = 'baidu' THEN '3'
        ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)
        END
    AS channel_id FROM bid
    where REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) is not null or
          lower(channel) in ('apple', 'google', 'facebook', 'baidu')`},
	{"q22", `SELECT
    auction, bidder, price, channel,
    SPLIT_INDEX(url, '/', 3) as dir1,
    SPLIT_INDEX(url, '/', 4) as dir2,
    SPLIT_INDEX(url, '/', 5) as dir3 FROM bid`},
}

// streamNames finds the streams a query reads: FROM bid, JOIN auction, or
// the second item of a comma join (", bid B").
var streamNames = regexp.MustCompile(`(?i:FROM|JOIN)\s+(person|auction|bid)\b|,\s+(person|auction|bid) [A-Z]\b`)

// Reads reports whether the query reads stream name (person, auction or
// bid): a push source nobody reads would hold up whoever pushes to it.
func (q Query) Reads(name string) bool {
	for _, m := range streamNames.FindAllStringSubmatch(q.SQL, -1) {
		if strings.ToLower(m[1]+m[2]) == name {
			return true
		}
	}
	return false
}
