// fake source: trsync.c
