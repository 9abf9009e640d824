// fake source: linux/main.c
