# /etc/cron.d/safemail - the queue run every minute, only where systemd
# is not running (there safemail-queue.timer does it).
* * * * * safemail [ ! -d /run/systemd/system ] && [ -x /usr/sbin/safemail ] && /usr/sbin/safemail --run-queue
