/* shm: SysV shared memory attached twice, seen through both attachments,
 * with shmctl's view of it. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	printf("shmget ok %d\n", id >= 0);
	char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, 0);
	printf("shmat ok %d %d distinct %d\n", a != (void *)-1, b != (void *)-1, a != b);
	strcpy(a, "shared text");
	printf("b sees: %s\n", b);
	struct shmid_ds ds;
	printf("stat=%d size=%zu nattch=%lu\n", shmctl(id, IPC_STAT, &ds), ds.shm_segsz, (unsigned long)ds.shm_nattch);
	char *ro = shmat(id, NULL, SHM_RDONLY);
	printf("read-only attach sees: %s\n", ro);
	printf("dt=%d dt again=%d\n", shmdt(a), shmdt(a));
	printf("rmid=%d\n", shmctl(id, IPC_RMID, NULL));
	printf("still attached sees: %s\n", b);
	printf("dt b=%d dt ro=%d\n", shmdt(b), shmdt(ro));
	printf("stat after rmid=%d\n", shmctl(id, IPC_STAT, &ds));
	return 0;
}
