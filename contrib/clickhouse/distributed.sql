-- One table over the local tables of every server of cluster "echomap" (cluster.xml): queries
-- see the whole sweep. Create it on the servers analysts query (all of them is fine). echomap
-- writes into sweep_local, never here: an insert into a Distributed table is queued and
-- forwarded later, so whether a batch landed could not be checked before a retry.
CREATE TABLE IF NOT EXISTS echomap.sweep AS echomap.sweep_local
    ENGINE = Distributed(echomap, echomap, sweep_local, rand());
