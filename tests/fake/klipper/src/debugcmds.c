// fake source: debugcmds.c
