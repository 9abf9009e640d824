// fake source: adccmds.c
