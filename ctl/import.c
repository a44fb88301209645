/*
 * authctl import: not built yet.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_import(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "authctl: import: not implemented yet\n");
	return CTL_ERR;
}
