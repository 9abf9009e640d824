// fake source: linux/console.c
