// fake source: command.c
