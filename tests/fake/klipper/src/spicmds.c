// fake source: spicmds.c
