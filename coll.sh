./mypid A
echo "inside: /proc/1000/comm = $(cat /proc/1000/comm)"
ls /proc | grep -c '^1000$'
