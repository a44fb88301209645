/*
 * authctl key: not built yet.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_key(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "authctl: key: not implemented yet\n");
	return CTL_ERR;
}
