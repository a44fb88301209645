/*
 * authctl user: not built yet.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_user(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "authctl: user: not implemented yet\n");
	return CTL_ERR;
}
