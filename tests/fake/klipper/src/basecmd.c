// fake source: basecmd.c
