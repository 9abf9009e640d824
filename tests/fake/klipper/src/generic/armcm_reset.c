// fake source: generic/armcm_reset.c
