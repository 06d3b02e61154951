-- Nexmark, the streaming benchmark's online auction: people, auctions and
-- bids (examples/nexmark, 1000 events written by
-- `go run ./bench/nexmark/gen -dir examples/nexmark -events 1000`). The
-- queries are Nexmark's, as Flink's nexmark project writes them, windows
-- in streamsql's WINDOW syntax. Run with
--   go run ./cmd/streamsql --once -f examples/nexmark.sql
CREATE STREAM person AS SELECT * FROM file('examples/nexmark/person', format => 'jsonl');
CREATE STREAM auction AS SELECT * FROM file('examples/nexmark/auction', format => 'jsonl');
CREATE STREAM bid AS SELECT * FROM file('examples/nexmark/bid', format => 'jsonl');

-- q4: the average closing price per category: an aggregate over an
-- updating aggregate (the highest bid of each auction while it is open).
SELECT Q.category, AVG(Q.final) AS avg_final
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category
ORDER BY Q.category;

-- q5: the hottest auctions: most bids in each 10 s window, every 2 s.
SELECT AuctionBids.starttime, AuctionBids.auction, AuctionBids.num
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
ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime AND AuctionBids.num >= MaxBids.maxn
ORDER BY AuctionBids.starttime, AuctionBids.auction;

-- q15: bidding statistics per day, with FILTER (WHERE ...).
SELECT
     DATE_FORMAT(dateTime, 'yyyy-MM-dd') as `day`,
     count(*) AS total_bids,
     count(*) filter (where price < 10000) AS rank1_bids,
     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
     count(*) filter (where price >= 1000000) AS rank3_bids,
     count(distinct bidder) AS total_bidders,
     count(distinct auction) AS total_auctions
FROM bid
GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd');
