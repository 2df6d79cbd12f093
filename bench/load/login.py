"""Signs in N sessions for the demo's child directors (round robin); prints one token a line."""
import http.cookiejar, re, sys, urllib.parse, urllib.request

base, n, users, password = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
for i in range(n):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": users[i % len(users)], "password": password,
                                   "csrf_token": csrf}).encode()
    opener.open(base + "/login", form).read()
    token = next(c.value for c in jar if c.name == "humiao_session")
    print(token)
