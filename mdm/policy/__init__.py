"""Edit rights: the casbin policy (rules), what a caller may read (visibility), and adopting a
new policy version after a dry run of what it would change (store, dryrun)."""
