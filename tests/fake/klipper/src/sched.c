// fake source: sched.c
