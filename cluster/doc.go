// Package cluster runs one grouped, windowed query over a Kafka topic on
// several machines at once, exactly once, the way Kafka Streams and ksqlDB
// do: Kafka is the cluster. Every member runs two stages, each a consumer
// group of its own inside Kafka transactions (franz-go's
// GroupTransactSession):
//
//   - stage 1 reads some partitions of the input topic; each batch it runs
//     the part of the query below the aggregate (decode, WHERE, UNNEST) and
//     folds the rows into partial aggregates per (pane, key), which it
//     produces to the repartition topic (<name>-repartition), partitioned
//     by key, together with the watermark of each input partition it
//     reads, sent to every repartition partition;
//   - stage 2 reads some partitions of the repartition topic, merges the
//     partials into window state, writes every change of that state to the
//     compacted changelog topic (<name>-changelog), and when every input
//     partition's watermark has passed a window's end, emits the window's
//     rows, through the part of the query above the aggregate (HAVING,
//     the select list, ORDER BY), to the output topic.
//
// Each batch of a stage is one transaction holding the offsets it consumed
// and everything it produced, so a batch counts once or not at all. A
// member that gains a repartition partition rebuilds its state from the
// changelog (read_committed) before using it; a batch whose transaction
// aborts (a rebalance) drops the state it touched, which is rebuilt the
// same way. Members can come, go and die: their partitions move to the
// others.
package cluster
