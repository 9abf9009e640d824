// fake source: generic/armcm_boot.c
