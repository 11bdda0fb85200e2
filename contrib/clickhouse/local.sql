-- The table every echomap shard writes into, on each ClickHouse server (the same as
-- `sweep --create-table` makes). On ClickHouse 19.3 and later saddr and router may be IPv4.
CREATE DATABASE IF NOT EXISTS echomap;
CREATE TABLE IF NOT EXISTS echomap.sweep_local (
    time DateTime,
    run_id UInt64,
    shard UInt16,
    shards UInt16,
    batch UInt32,
    saddr UInt32,
    name String,
    status Enum8('timeout' = 0, 'echoreply' = 1, 'unreach' = 2, 'timxceed' = 3),
    rtt_ns UInt32,
    ttl UInt8,
    icmp_type UInt8,
    icmp_code UInt8,
    router UInt32,
    replies UInt32,
    dups UInt32,
    scope String
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (saddr, run_id, shard);
