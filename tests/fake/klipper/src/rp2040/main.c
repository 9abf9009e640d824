// fake source: rp2040/main.c
