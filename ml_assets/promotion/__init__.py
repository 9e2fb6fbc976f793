"""The promotion chain: dev candidate → test → prod champion, through gates recorded in the ledger."""
