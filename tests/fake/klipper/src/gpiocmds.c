// fake source: gpiocmds.c
