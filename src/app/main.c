/* placeholder replaced below */
#include "earshot.h"
#include <stdio.h>
int main(void) { printf("earshot %s\n", es_version()); return 0; }
