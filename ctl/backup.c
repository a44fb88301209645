/*
 * authctl backup: not built yet.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_backup(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "authctl: backup: not implemented yet\n");
	return CTL_ERR;
}
