<?php
// mail(): what a shop sends. Run it in the app container:
//   podman exec app php /app/mail.php to@example.org
// or GET /mail.php?to=... from the built-in server.
$to = PHP_SAPI === 'cli' ? ($argv[1] ?? 'customer@example.org')
                         : ($_GET['to'] ?? 'customer@example.org');
$subject = PHP_SAPI === 'cli' ? ($argv[2] ?? 'Your order') : 'Your order';
$ok = mail($to, $subject, "Thank you for your order.\n",
           "From: shop@store.example.com");
echo $ok ? "sent\n" : "not sent\n";
exit($ok ? 0 : 1);
