/* threads: pthreads sharing memory with a mutex and a condition variable,
 * thread-local storage, join values, a signal sent to one thread with
 * pthread_kill, and exit from a thread other than main. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define N 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static __thread long tls_value;
static pid_t tids[N];
static volatile pid_t handler_tid;

static void *worker(void *arg)
{
	long id = (long)arg;
	tls_value = id * 100;
	tids[id] = syscall(SYS_gettid);
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return (void *)(tls_value + id);
}

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = syscall(SYS_gettid);
}

static pthread_t sleeper_thread;
static volatile int sleeper_go;

static void *sleeper(void *arg)
{
	(void)arg;
	while (!sleeper_go)
		usleep(1000);
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	printf("exiting the process from a thread\n");
	fflush(stdout);
	exit(5);
}

int main(void)
{
	pthread_t th[N];
	tls_value = -1;
	for (long i = 0; i < N; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) {
			printf("pthread_create failed\n");
			return 1;
		}
	usleep(10000);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	long sum = 0;
	for (int i = 0; i < N; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	printf("counter=%ld sum=%ld main tls=%ld\n", counter, sum, tls_value);
	int distinct = 1;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				distinct = 0;
	printf("thread ids distinct from each other and the pid: %d\n", distinct);

	signal(SIGUSR1, on_usr1);
	pthread_create(&sleeper_thread, NULL, sleeper, NULL);
	usleep(10000);
	pthread_kill(sleeper_thread, SIGUSR1);
	usleep(10000);
	sleeper_go = 1;
	pthread_join(sleeper_thread, NULL);
	printf("handler ran on another thread: %d\n", handler_tid != 0 && handler_tid != getpid());

	pthread_t ex;
	pthread_create(&ex, NULL, exiter, NULL);
	pthread_join(ex, NULL);
	printf("not reached\n");
	return 0;
}
