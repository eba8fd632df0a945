(function(w,d){var el=d.getElementById("rastro-page");if(!el)return;var c=JSON.parse(el.textContent),px=c.pixels,started=0;
var GA={Purchase:"purchase",Lead:"generate_lead",InitiateCheckout:"begin_checkout",ViewContent:"view_item",AddToCart:"add_to_cart",CompleteRegistration:"sign_up"};
function rq(){var a=[].slice.call(arguments);try{if(w.rastro&&w.rastro.ids)w.rastro[a[0]].apply(w.rastro,a.slice(1));else{w.rastro=w.rastro||{};(w.rastro.q=w.rastro.q||[]).push(a)}}catch(e){}}
function has(t){return px.some(function(p){return p.t===t})}
function load(s){var e=d.createElement("script");e.async=1;e.src=s;d.head.appendChild(e)}
function fire(p,n,a,id){try{a=a||{};if(p.t==="facebook")w.fbq("trackSingle",p.p,n,a,id?{eventID:id}:{});else if(p.t==="tiktok")w.ttq.instance(p.p).track(n,a,id?{event_id:id}:{});else if(p.t==="google"){var g=Object.assign({send_to:p.p},a);if(id)g.transaction_id=id;w.gtag("event",p.p.indexOf("/")>0?"conversion":(GA[n]||n),g)}}catch(e){}}
function send(ev){px.forEach(function(p,i){if(!ev.p||ev.p.indexOf(i)>=0)fire(p,ev.n,ev.d,ev.e)})}
function start(){if(started)return;started=1;
if(has("facebook")){!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version="2.0";n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(w,d,"script","https://connect.facebook.net/en_US/fbevents.js")}
if(has("tiktok")){var q=w.ttq=w.ttq||[],m="page track identify instances debug on off once ready alias group enableCookie disableCookie".split(" ");w.TiktokAnalyticsObject="ttq";q.methods=m;q.setAndDefer=function(o,k){o[k]=function(){o.push([k].concat([].slice.call(arguments)))}};m.forEach(function(k){q.setAndDefer(q,k)});q.instance=function(t){var e=q._i[t]||[];m.forEach(function(k){q.setAndDefer(e,k)});return e};q.load=function(e){var r="https://analytics.tiktok.com/i18n/pixel/events.js";q._i=q._i||{};q._i[e]=[];q._i[e]._u=r;q._t=q._t||{};q._t[e]=+new Date;q._o=q._o||{};q._o[e]={};load(r+"?sdkid="+e+"&lib=ttq")}}
if(has("google")){w.dataLayer=w.dataLayer||[];w.gtag=function(){w.dataLayer.push(arguments)};w.gtag("js",new Date)}
px.forEach(function(p){try{if(p.t==="facebook"){w.fbq("init",p.p);w.fbq("trackSingle",p.p,"PageView",{},{eventID:c.pv})}else if(p.t==="tiktok"){w.ttq.load(p.p);w.ttq.instance(p.p).page()}else if(p.t==="google"){if(!w.__rg){w.__rg=1;load("https://www.googletagmanager.com/gtag/js?id="+p.p.split("/")[0])}w.gtag("config",p.p.split("/")[0])}}catch(e){}});
(c.events||[]).forEach(send);
var t=d.getElementById("rastro-custom");if(t)d.body.appendChild(d.importNode(t.content,true));}
if(c.lead){var f=d.querySelector("form[data-lead]");if(f)f.addEventListener("submit",function(){send(c.lead)})}
if(c.started){var cf=d.querySelector("form[data-checkout]"),sent="";if(cf)cf.addEventListener("change",function(){var q=new URLSearchParams(),v=function(k){var i=cf.elements[k];return i&&i.value?i.value:""};["token","name","email","phone","rastro_session_id","rastro_visitor_id"].forEach(function(k){if(v(k))q.append(k,v(k))});var key=v("email")+"|"+v("phone");if(key===sent||!v("rastro_session_id")||!(/@.+\./.test(v("email"))||v("phone").replace(/\D/g,"").length>=10))return;sent=key;try{navigator.sendBeacon(c.started,q)}catch(e){}})}
var b=d.getElementById("consent");
if(!c.consent||w.localStorage&&localStorage.getItem("rastro_consent")==="1"){if(b)b.remove();start()}
else if(b){d.getElementById("consent-ok").onclick=function(){try{localStorage.setItem("rastro_consent","1")}catch(e){}rq("consent",true);b.remove();start()}}
var cp=d.getElementById("copy");if(cp)cp.onclick=function(){var a=d.getElementById("pix-code");a.select();try{navigator.clipboard.writeText(a.value)}catch(e){d.execCommand("copy")}cp.textContent=cp.dataset.done};
if(c.video){var seen={},played=0,dur=0,vf=d.getElementById("vsl-video"),vo=c.video.origin;
function vt(n,a){rq("track",n,a)}
function vplay(){if(!played){played=1;vt("video_play",{label:c.video.label})}}
function vprog(cur,len){if(!len||!(cur>=0))return;var p=cur/len*100;[25,50,75,100].forEach(function(m){if(p>=m-1&&!seen[m]){seen[m]=1;vt("video_progress",{label:c.video.label,value:m})}})}
function vpost(o){try{vf.contentWindow.postMessage(JSON.stringify(o),vo)}catch(e){}}
if(vf&&vf.tagName==="VIDEO")vf.addEventListener("timeupdate",function(){vprog(vf.currentTime,vf.duration)});
else if(vf){var heard=0,tries=0,hello=function(){if(c.video.provider==="youtube")vpost({event:"listening",id:"vsl",channel:"widget"});else{vpost({method:"addEventListener",value:"play"});vpost({method:"addEventListener",value:"playProgress"})}},timer=setInterval(function(){if(heard||++tries>40)clearInterval(timer);else hello()},250);vf.addEventListener("load",hello);
w.addEventListener("message",function(e){if(e.origin!==vo)return;heard=1;var m=e.data;try{if(typeof m==="string")m=JSON.parse(m)}catch(x){return}if(!m)return;var i=m.info;
if(m.event==="infoDelivery"&&i){if(i.playerState===1)vplay();if(i.duration)dur=i.duration;if(i.currentTime!=null)vprog(i.currentTime,dur)}
else if(m.event==="onStateChange"&&i===1)vplay();else if(m.event==="play")vplay();
else if(m.event==="playProgress"&&m.data){vplay();vprog(m.data.seconds,m.data.duration)}})}}
if(c.poll){setInterval(function(){fetch(c.poll.url,{cache:"no-store"}).then(function(r){return r.json()}).then(function(s){if(s.status==="paid")location.href=c.poll.next||location.href;else if(s.status!=="pending")location.reload()}).catch(function(){})},3000)}
})(window,document);
